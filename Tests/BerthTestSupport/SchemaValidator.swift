import Foundation

/// Validates runtime-spec documents against the OCI runtime-spec JSON schema
/// by running `hack/validate-spec.py` with Debian's python3-jsonschema.
///
/// The schema is read from ``schemaDirectory`` (`make deps` installs it);
/// set `BERTH_RUNTIME_SPEC_SCHEMA_DIR` to use another copy. Tests should skip,
/// not fail, when ``unavailableReason`` is non-nil.
public enum SchemaValidator {
    /// Which schema a document is checked against.
    public enum Kind: Sendable {
        /// `config-schema.json` (a bundle's `config.json`).
        case config
        /// `state-schema.json` (the output of `state`, the input of hooks).
        case state
    }

    /// Where Debian's golang-github-opencontainers-runtime-spec-dev puts the schema.
    public static let defaultSchemaDirectory =
        "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema"

    /// The interpreter: the system one, which has python3-jsonschema
    /// (a pyenv `python3` on PATH may not).
    public static let python = "/usr/bin/python3"

    public static var schemaDirectory: String {
        ProcessInfo.processInfo.environment["BERTH_RUNTIME_SPEC_SCHEMA_DIR"] ?? defaultSchemaDirectory
    }

    /// The repository root, found from this file's location.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // BerthTestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
            .path
    }

    /// `hack/validate-spec.py` in this repository.
    public static var scriptPath: String { repositoryRoot + "/hack/validate-spec.py" }

    /// Why validation cannot run here, or `nil` if it can.
    public static var unavailableReason: String? {
        let files = FileManager.default
        if !files.fileExists(atPath: schemaDirectory + "/config-schema.json") {
            return "runtime-spec schema not found at \(schemaDirectory) (run `make deps`)"
        }
        if !files.isExecutableFile(atPath: python) {
            return "\(python) not found"
        }
        if !files.fileExists(atPath: scriptPath) {
            return "\(scriptPath) not found"
        }
        if !hasJSONSchemaModule {
            return "\(python) cannot import jsonschema (apt-get install python3-jsonschema)"
        }
        return nil
    }

    private static let hasJSONSchemaModule: Bool = {
        (try? run([python, "-c", "import jsonschema"]))?.status == 0
    }()

    /// Validates one JSON document. `ok` is true when the script exits 0;
    /// `output` is its combined stdout and stderr (one line per error).
    public static func validate(specJSON: Data, kind: Kind = .config) throws -> (ok: Bool, output: String) {
        let directory = try TemporaryDirectory(prefix: "berth-schema")
        defer { directory.remove() }
        let file = directory.url(kind == .state ? "state.json" : "config.json")
        try specJSON.write(to: file)
        return try validate(files: [file.path], kind: kind)
    }

    /// Validates JSON files on disk; see ``validate(specJSON:kind:)``.
    public static func validate(files: [String], kind: Kind = .config) throws -> (ok: Bool, output: String) {
        var arguments = [python, scriptPath]
        if kind == .state {
            arguments.append("--state")
        }
        arguments.append(schemaDirectory)
        arguments.append(contentsOf: files)
        let result = try run(arguments)
        return (result.status == 0, result.output)
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
