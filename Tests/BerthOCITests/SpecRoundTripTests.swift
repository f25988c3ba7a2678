import BerthOCI
import Foundation
import Testing

@Suite("Spec round trip")
struct SpecRoundTripTests {
    @Test("config.json fixtures decode and re-encode to the same JSON", arguments: Fixtures.configs)
    func configRoundTrip(name: String) throws {
        let original = try Fixtures.data(name)
        let spec = try JSONDecoder().decode(Spec.self, from: original)
        let encoded = try JSON.encode(spec)
        let differences = JSON.differences(try JSON.object(original), try JSON.object(encoded))
        #expect(differences.isEmpty, "\(name) changed in a round trip:\n\(differences.joined(separator: "\n"))")

        let decodedAgain = try JSONDecoder().decode(Spec.self, from: encoded)
        #expect(decodedAgain == spec)
        #expect(decodedAgain.hashValue == spec.hashValue)
    }

    @Test("state.json fixtures decode and re-encode to the same JSON", arguments: Fixtures.states)
    func stateRoundTrip(name: String) throws {
        let original = try Fixtures.data(name)
        let state = try JSONDecoder().decode(ContainerState.self, from: original)
        let encoded = try JSON.encode(state)
        let differences = JSON.differences(try JSON.object(original), try JSON.object(encoded))
        #expect(differences.isEmpty, "\(name) changed in a round trip:\n\(differences.joined(separator: "\n"))")
        #expect(try JSONDecoder().decode(ContainerState.self, from: encoded) == state)
    }

    @Test("the maximal fixture decodes into the expected values")
    func maximalValues() throws {
        let spec = try Fixtures.spec("config-maximal-linux.json")
        #expect(spec.process?.user?.additionalGids?.last == UInt32.max)
        #expect(spec.process?.rlimits?.last?.hard == UInt64.max)
        #expect(spec.process?.oomScoreAdj == -500)
        #expect(spec.linux?.resources?.memory?.swap == -1)
        #expect(spec.linux?.resources?.rdma?["mlx4_0"] == Spec.Linux.Resources.Rdma(hcaObjects: 1000))
        #expect(spec.linux?.namespaces?.map(\.type) == Spec.Linux.NamespaceType.known)
        #expect(spec.linux?.namespaces?[1].path == "/var/run/netns/maximal")
        #expect(spec.linux?.devices?.last == Spec.Linux.Device(path: "/dev/myfifo", type: "p"))
        let seccomp = try #require(spec.linux?.seccomp)
        #expect(seccomp.defaultAction == .errno)
        #expect(seccomp.architectures == [.x86_64, .x86, .x32])
        #expect(seccomp.flags == [.log, .specAllow])
        #expect(seccomp.syscalls?[2].args == [.init(index: 0, value: 2_114_060_288, valueTwo: 0, op: .maskedEqual)])
        #expect(spec.linux?.personality?.domain == .linux32)
        #expect(spec.hooks?.createRuntime?.first?.timeout == 10)
        #expect(spec.mounts?.last?.uidMappings == [.init(containerID: 0, hostID: 100_000, size: 65536)])
    }

    @Test("the Windows credential spec survives as opaque JSON")
    func windowsCredentialSpec() throws {
        let spec = try Fixtures.spec("config-windows.json")
        let credentialSpec = try #require(spec.windows?.credentialSpec)
        #expect(credentialSpec["Version"] == .int(1))
        #expect(credentialSpec["Ratio"] == .double(0.5))
        #expect(credentialSpec["Enabled"] == .bool(true))
        #expect(credentialSpec["Nothing"] == .null)
        #expect(credentialSpec["CmsPlugins"] == .array([.string("ActiveDirectory")]))
        #expect(spec.windows?.network?.dnsSearchList == ["a.com", "b.com"])
        #expect(spec.process?.user == Spec.User(username: "ContainerUser"))
    }
}
