import BerthOCI
import Foundation
import Testing

@Suite("Spec values")
struct SpecValueTests {
    private func encodedObject(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSON.object(JSON.encode(value)) as? [String: Any])
    }

    @Test("absent optionals are omitted and defaults are minimal")
    func omitsAbsentFields() throws {
        let process = Spec.Process(args: ["sh"])
        let object = try encodedObject(process)
        #expect(Set(object.keys) == ["args", "cwd"])
        #expect(object["cwd"] as? String == "/")

        let spec = try encodedObject(Spec())
        #expect(Set(spec.keys) == ["ociVersion"])
        #expect(spec["ociVersion"] as? String == Spec.defaultOCIVersion)

        let user = try encodedObject(Spec.User(uid: 0, gid: 0))
        #expect(Set(user.keys) == ["uid", "gid"])
    }

    @Test("required fields are required when decoding")
    func requiredFields() {
        let decoder = JSONDecoder()
        #expect(throws: DecodingError.self) { try decoder.decode(Spec.self, from: Data("{}".utf8)) }
        #expect(throws: DecodingError.self) {
            try decoder.decode(Spec.Process.self, from: Data(#"{"args": ["sh"]}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(Spec.Linux.Seccomp.self, from: Data(#"{"syscalls": []}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(ContainerState.self, from: Data(#"{"ociVersion": "1", "id": "x"}"#.utf8))
        }
    }

    @Test("open string values keep unknown members")
    func openStrings() throws {
        let json = #"""
            {"defaultAction": "SCMP_ACT_FUTURE", "architectures": ["SCMP_ARCH_LOONGARCH64"],
             "flags": ["SECCOMP_FILTER_FLAG_NEW"],
             "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_NEW"}]}]}
            """#
        let seccomp = try JSONDecoder().decode(Spec.Linux.Seccomp.self, from: Data(json.utf8))
        #expect(seccomp.defaultAction.rawValue == "SCMP_ACT_FUTURE")
        #expect(!Spec.Linux.Seccomp.Action.known.contains(seccomp.defaultAction))
        #expect(seccomp.architectures == ["SCMP_ARCH_LOONGARCH64"])
        #expect(seccomp.syscalls?.first?.action == .allow)
        #expect(seccomp.syscalls?.first?.args?.first?.op.description == "SCMP_CMP_NEW")
        let again = try JSONDecoder().decode(Spec.Linux.Seccomp.self, from: JSON.encode(seccomp))
        #expect(again == seccomp)

        let namespace = try JSONDecoder().decode(Spec.Linux.Namespace.self, from: Data(#"{"type":"time"}"#.utf8))
        #expect(namespace.type == "time")
        #expect(try encodedObject(Spec.Linux.Namespace(type: .network))["type"] as? String == "network")
    }

    @Test("the known value lists match the schema enums")
    func knownValues() {
        #expect(Spec.Linux.Seccomp.Action.known.count == 9)
        #expect(Spec.Linux.Seccomp.Arch.known.count == 19)
        #expect(Spec.Linux.Seccomp.Flag.known.count == 4)
        #expect(Spec.Linux.Seccomp.Operator.known.count == 7)
        #expect(Spec.Linux.NamespaceType.known.count == 7)
        #expect(ContainerState.Status.known.map(\.rawValue) == ["creating", "created", "running", "stopped"])
        #expect(Set(Spec.Linux.Seccomp.Arch.known).count == 19)
    }

    @Test("JSONValue round-trips every kind of JSON value")
    func jsonValue() throws {
        let json = #"{"a":null,"b":true,"c":-3,"d":18446744073709551615,"e":1.25,"f":"s","g":[1,"x",false],"h":{}}"#
        let value = try JSONDecoder().decode(Spec.JSONValue.self, from: Data(json.utf8))
        #expect(
            value
                == .object([
                    "a": .null, "b": .bool(true), "c": .int(-3), "d": .uint(UInt64.max), "e": .double(1.25),
                    "f": .string("s"), "g": .array([.int(1), .string("x"), .bool(false)]), "h": .object([:]),
                ]))
        let differences = JSON.differences(try JSON.object(Data(json.utf8)), try JSON.object(JSON.encode(value)))
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test("Windows DNSSearchList keeps its JSON spelling")
    func windowsDNSKey() throws {
        let network = Spec.Windows.Network(dnsSearchList: ["corp"])
        #expect(Set(try encodedObject(network).keys) == ["DNSSearchList"])
    }

    @Test("ContainerProcessState round-trips")
    func containerProcessState() throws {
        let message = ContainerProcessState(
            fds: [ContainerProcessState.seccompFdName], pid: 7, metadata: "m",
            state: ContainerState(id: "c", status: .running, pid: 7, bundle: "/b"))
        let decoded = try JSONDecoder().decode(ContainerProcessState.self, from: JSON.encode(message))
        #expect(decoded == message)
        #expect(Set(try encodedObject(message).keys) == ["ociVersion", "fds", "pid", "metadata", "state"])
    }
}
