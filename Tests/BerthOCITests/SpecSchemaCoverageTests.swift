import BerthOCI
import BerthTestSupport
import Foundation
import Testing

/// Walks the runtime-spec JSON schema and the JSON that our types encode, side by side.
///
/// Property paths look like `$.linux.resources.blockIO.weightDevice[].major`:
/// `[]` steps into array items, `{}` into the values of a map whose values have a
/// schema (`additionalProperties`). Maps given by `patternProperties` (string to
/// string maps such as annotations) are leaves.
struct SchemaWalker {
    struct Shape: OptionSet {
        let rawValue: Int
        static let properties = Shape(rawValue: 1)
        static let patternMap = Shape(rawValue: 2)
        static let schemaMap = Shape(rawValue: 4)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL
    private var files: [String: Any] = [:]
    /// Every property path the schema defines.
    private(set) var schemaPaths: Set<String> = []
    /// Property paths present in at least one walked instance.
    private(set) var coveredPaths: Set<String> = []
    /// What the schema says an object at a path may hold.
    private(set) var shapes: [String: Shape] = [:]

    init(directory: URL) {
        self.directory = directory
    }

    /// Walks `schemaFile` with `instances`, all documents of that schema.
    mutating func walk(schemaFile: String, instances: [Any]) throws {
        let root = try load(schemaFile)
        try walk(root, file: schemaFile, instances: instances, path: "$", depth: 0)
    }

    /// Keys in `instance` that the schema does not define.
    func undefinedPaths(in instance: Any, path: String = "$") -> [String] {
        if let array = instance as? [Any] {
            return array.flatMap { undefinedPaths(in: $0, path: path + "[]") }
        }
        guard let object = instance as? [String: Any] else { return [] }
        let shape = shapes[path] ?? []
        if shape.contains(.patternMap) { return [] }
        if shape.contains(.schemaMap) {
            return object.values.flatMap { undefinedPaths(in: $0, path: path + "{}") }
        }
        if !shape.contains(.properties) { return [] }  // an opaque object such as credentialSpec
        return object.keys.sorted().flatMap { key -> [String] in
            let child = "\(path).\(key)"
            guard schemaPaths.contains(child), let value = object[key] else { return [child] }
            return undefinedPaths(in: value, path: child)
        }
    }

    private mutating func load(_ file: String) throws -> Any {
        if let cached = files[file] { return cached }
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        let parsed = try JSONSerialization.jsonObject(with: data)
        files[file] = parsed
        return parsed
    }

    /// Resolves `other.json#/a/b` or `#/a/b` relative to `file`.
    private mutating func resolve(_ reference: String, from file: String) throws -> (node: Any, file: String) {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let target = parts[0].isEmpty ? file : String(parts[0])
        var node = try load(target)
        let pointer = parts.count > 1 ? parts[1] : ""
        for token in pointer.split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(token)] else {
                throw Failure(description: "cannot resolve $ref \(reference) from \(file)")
            }
            node = next
        }
        return (node, target)
    }

    private mutating func walk(_ node: Any, file: String, instances: [Any], path: String, depth: Int) throws {
        guard depth < 64 else { throw Failure(description: "schema nesting too deep at \(path)") }
        guard let schema = node as? [String: Any] else { return }

        if let reference = schema["$ref"] as? String {
            let (target, targetFile) = try resolve(reference, from: file)
            try walk(target, file: targetFile, instances: instances, path: path, depth: depth + 1)
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            for sub in schema[combinator] as? [Any] ?? [] {
                try walk(sub, file: file, instances: instances, path: path, depth: depth + 1)
            }
        }
        if let properties = schema["properties"] as? [String: Any] {
            shapes[path, default: []].insert(.properties)
            for (name, sub) in properties {
                let child = "\(path).\(name)"
                schemaPaths.insert(child)
                let values = instances.compactMap { ($0 as? [String: Any])?[name] }
                if !values.isEmpty {
                    coveredPaths.insert(child)
                }
                try walk(sub, file: file, instances: values, path: child, depth: depth + 1)
            }
        }
        if schema["patternProperties"] != nil {
            shapes[path, default: []].insert(.patternMap)
        }
        if let additional = schema["additionalProperties"] as? [String: Any] {
            shapes[path, default: []].insert(.schemaMap)
            let values = instances.flatMap { ($0 as? [String: Any]).map { Array($0.values) } ?? [] }
            try walk(additional, file: file, instances: values, path: path + "{}", depth: depth + 1)
        }
        if let items = schema["items"] as? [String: Any] {
            let values = instances.flatMap { $0 as? [Any] ?? [] }
            try walk(items, file: file, instances: values, path: path + "[]", depth: depth + 1)
        }
    }
}

@Suite("Runtime-spec schema coverage")
struct SpecSchemaCoverageTests {
    static let schemaDirectory = URL(fileURLWithPath: SchemaValidator.schemaDirectory)
    static let schemaInstalled = FileManager.default.fileExists(
        atPath: schemaDirectory.appendingPathComponent("config-schema.json").path)

    /// Walks the schema over the raw fixtures and over what our types encode
    /// from them, and reports schema properties missing from either.
    private func coverage<T: Codable>(
        schemaFile: String, fixtures: [String], as type: T.Type
    ) throws -> (fixtureGaps: [String], modelGaps: [String], invented: [String]) {
        let raw = try fixtures.map { try JSON.object(Fixtures.data($0)) }
        let encoded = try fixtures.map { name in
            try JSON.object(JSON.encode(JSONDecoder().decode(T.self, from: Fixtures.data(name))))
        }
        var fixtureWalk = SchemaWalker(directory: Self.schemaDirectory)
        try fixtureWalk.walk(schemaFile: schemaFile, instances: raw)
        var modelWalk = SchemaWalker(directory: Self.schemaDirectory)
        try modelWalk.walk(schemaFile: schemaFile, instances: encoded)

        let fixtureGaps = fixtureWalk.schemaPaths.subtracting(fixtureWalk.coveredPaths).sorted()
        let modelGaps = fixtureWalk.coveredPaths.subtracting(modelWalk.coveredPaths).sorted()
        let invented = encoded.flatMap { modelWalk.undefinedPaths(in: $0) }
        return (fixtureGaps, modelGaps, Array(Set(invented)).sorted())
    }

    @Test(
        "every config.json property in the schema round-trips through Spec",
        .enabled(if: schemaInstalled, "runtime-spec schema not installed; run `make deps`")
    )
    func configCoverage() throws {
        let fixtures = Fixtures.configs.filter { $0 != "config-typical-runc.json" }
        let result = try coverage(schemaFile: "config-schema.json", fixtures: fixtures, as: Spec.self)
        #expect(
            result.modelGaps.isEmpty,
            "schema properties dropped by the Swift model:\n\(result.modelGaps.joined(separator: "\n"))")
        #expect(
            result.fixtureGaps.isEmpty,
            "schema properties no fixture sets (extend config-maximal-linux.json or a platform fixture):\n\(result.fixtureGaps.joined(separator: "\n"))"
        )
        #expect(
            result.invented.isEmpty,
            "keys the Swift model writes that the schema does not define:\n\(result.invented.joined(separator: "\n"))")
    }

    @Test(
        "every state.json property in the schema round-trips through ContainerState",
        .enabled(if: schemaInstalled, "runtime-spec schema not installed; run `make deps`")
    )
    func stateCoverage() throws {
        let result = try coverage(schemaFile: "state-schema.json", fixtures: Fixtures.states, as: ContainerState.self)
        #expect(result.modelGaps.isEmpty, "dropped: \(result.modelGaps)")
        #expect(result.fixtureGaps.isEmpty, "not in any fixture: \(result.fixtureGaps)")
        #expect(result.invented.isEmpty, "not in the schema: \(result.invented)")
    }

    @Test(
        "the walker finds the schema's nested properties",
        .enabled(if: schemaInstalled, "runtime-spec schema not installed; run `make deps`")
    )
    func walkerSanity() throws {
        var walker = SchemaWalker(directory: Self.schemaDirectory)
        try walker.walk(schemaFile: "config-schema.json", instances: [])
        // One property from each kind of step: $ref to another file, allOf,
        // anyOf, items, additionalProperties, and a $ref within a defs file.
        for path in [
            "$.ociVersion", "$.mounts[].uidMappings[].containerID", "$.hooks.poststop[].timeout",
            "$.linux.resources.blockIO.weightDevice[].major", "$.linux.resources.blockIO.weightDevice[].leafWeight",
            "$.linux.namespaces[].type", "$.linux.resources.rdma{}.hcaHandles", "$.linux.personality.domain",
            "$.windows.network.DNSSearchList", "$.vm.image.format", "$.zos.devices[].fileMode",
        ] {
            #expect(walker.schemaPaths.contains(path), "walker missed \(path)")
        }
        #expect(!walker.schemaPaths.contains("$.annotations.x"))
        #expect(walker.schemaPaths.count > 200)
    }

    @Test(
        "a property the model lacks is reported",
        .enabled(if: schemaInstalled, "runtime-spec schema not installed; run `make deps`")
    )
    func detectsMissingProperty() throws {
        // Drop one property from what "our model" produced: the walk must notice.
        var encoded = try #require(
            try JSON.object(JSON.encode(Fixtures.spec("config-maximal-linux.json"))) as? [String: Any])
        var linux = try #require(encoded["linux"] as? [String: Any])
        linux["mountLabel"] = nil
        linux["bogusKey"] = "x"
        encoded["linux"] = linux
        var walker = SchemaWalker(directory: Self.schemaDirectory)
        try walker.walk(schemaFile: "config-schema.json", instances: [encoded])
        #expect(!walker.coveredPaths.contains("$.linux.mountLabel"))
        #expect(walker.undefinedPaths(in: encoded) == ["$.linux.bogusKey"])
    }
}
