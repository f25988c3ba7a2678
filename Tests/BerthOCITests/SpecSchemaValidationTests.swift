import BerthOCI
import BerthTestSupport
import Foundation
import Testing

@Suite("Encoded specs validate against the runtime-spec schema")
struct SpecSchemaValidationTests {
    static let unavailable = SchemaValidator.unavailableReason

    static let minimal = Spec()
    static let small = Spec(
        process: Spec.Process(user: Spec.User(uid: 0, gid: 0), args: ["sh"]),
        root: Spec.Root(path: "rootfs"),
        linux: Spec.Linux(namespaces: [.init(type: .pid), .init(type: .mount)])
    )

    private func expectValid(_ data: Data, kind: SchemaValidator.Kind = .config, _ label: String) throws {
        let result = try SchemaValidator.validate(specJSON: data, kind: kind)
        #expect(result.ok, "\(label) does not validate:\n\(result.output)")
    }

    @Test(
        "hand-built specs validate",
        .enabled(if: unavailable == nil, "\(unavailable ?? "")")
    )
    func builtSpecs() throws {
        try expectValid(JSON.encode(Self.minimal), "Spec()")
        try expectValid(JSON.encode(Self.small), "small spec")
        let state = ContainerState(id: "c1", status: .created, pid: 42, bundle: "/run/b/c1")
        try expectValid(JSON.encode(state), kind: .state, "ContainerState")
    }

    @Test(
        "re-encoded fixtures validate",
        .enabled(if: unavailable == nil, "\(unavailable ?? "")"),
        arguments: Fixtures.configs
    )
    func fixtureSpecs(name: String) throws {
        try expectValid(JSON.encode(Fixtures.spec(name)), name)
    }

    @Test(
        "re-encoded state fixtures validate",
        .enabled(if: unavailable == nil, "\(unavailable ?? "")"),
        arguments: Fixtures.states
    )
    func fixtureStates(name: String) throws {
        let state = try JSONDecoder().decode(ContainerState.self, from: Fixtures.data(name))
        try expectValid(JSON.encode(state), kind: .state, name)
    }

    @Test(
        "invalid documents are rejected",
        .enabled(if: unavailable == nil, "\(unavailable ?? "")")
    )
    func invalidSpecs() throws {
        // The open string types accept values the schema does not.
        var spec = Self.small
        spec.linux?.seccomp = Spec.Linux.Seccomp(defaultAction: "SCMP_ACT_BOGUS")
        spec.process?.rlimits = [Spec.POSIXRlimit(type: "nofile", hard: 1, soft: 1)]
        let result = try SchemaValidator.validate(specJSON: JSON.encode(spec))
        #expect(!result.ok)
        #expect(result.output.contains("/linux/seccomp/defaultAction"), "\(result.output)")
        #expect(result.output.contains("/process/rlimits/0/type"), "\(result.output)")

        let windows = Spec(windows: Spec.Windows(layerFolders: []))
        #expect(try !SchemaValidator.validate(specJSON: JSON.encode(windows)).ok)

        let state = ContainerState(id: "c1", status: "paused", bundle: "/b")
        let stateResult = try SchemaValidator.validate(specJSON: JSON.encode(state), kind: .state)
        #expect(!stateResult.ok)
        #expect(stateResult.output.contains("paused"), "\(stateResult.output)")

        let notJSON = try SchemaValidator.validate(specJSON: Data("{".utf8))
        #expect(!notJSON.ok)
    }
}
