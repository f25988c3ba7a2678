import BerthCapabilities
import BerthErrors
import Foundation
import Testing

@Suite struct CapabilityTests {
    @Test func namesAndNumbersRoundTrip() throws {
        #expect(try Capability("CAP_CHOWN").value == 0)
        #expect(try Capability("CAP_SYS_ADMIN").value == 21)
        #expect(Capability(value: 0)?.name == "CAP_CHOWN")
        #expect(Capability(value: 21)?.name == "CAP_SYS_ADMIN")
        #expect(Capability(value: -1) == nil)
    }

    @Test(arguments: ["chown", "CAP_CHOWN", "cap_chown", "Chown", "CHOWN"])
    func dockerSpellingsAreAccepted(_ spelling: String) throws {
        let capability = try Capability(spelling)
        #expect(capability.name == "CAP_CHOWN")
        #expect(capability.value == 0)
    }

    @Test func unknownNamesAreRejected() {
        #expect(throws: CapabilityError(.invalidArgument, "unknown capability \"CAP_FOO\"")) {
            try Capability("CAP_FOO")
        }
        #expect(throws: CapabilityError(.invalidArgument, "unknown capability \"CAP_FOO\"")) {
            try Capability("foo")
        }
        // libcap parses numbers, but a number is not a capability name.
        #expect(throws: CapabilityError.self) { try Capability("12") }
        #expect(throws: CapabilityError.self) { try Capability("") }
        #expect(throws: CapabilityError.self) { try Capability("cap_") }
    }

    @Test func validateReturnsCanonicalNamesInOrder() throws {
        let names = try Capabilities.validate(["net_admin", "CAP_CHOWN", "cap_sys_admin", "NET_ADMIN"])
        #expect(names == ["CAP_NET_ADMIN", "CAP_CHOWN", "CAP_SYS_ADMIN"])
        #expect(throws: CapabilityError(.invalidArgument, "unknown capability \"CAP_FOO\"")) {
            try Capabilities.validate(["chown", "foo"])
        }
    }

    @Test func kernelSupportsAtLeastTheClassicSet() throws {
        let all = Capabilities.supportedByKernel
        #expect(all.count >= 38)
        #expect(all == Capabilities.all)
        #expect(all.map(\.value) == Array(0..<Int32(all.count)))
        #expect(all.allSatisfy { $0.name.hasPrefix("CAP_") })
        // Every name the kernel reports round-trips through libcap.
        for capability in all {
            #expect(try Capability(capability.name) == capability)
        }
    }

    @Test func boundingSetMatchesProcStatus() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") })
        let mask = try #require(UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        let all = Capabilities.supportedByKernel
        let expected = all.filter { mask & (UInt64(1) << UInt64($0.value)) != 0 }

        let bounding = Capabilities.boundingSet()
        #expect(bounding == expected)
        #expect(Set(bounding).isSubset(of: Set(all)))

        let sysResource = try Capability("CAP_SYS_RESOURCE")
        let procSaysPresent = mask & (UInt64(1) << UInt64(sysResource.value)) != 0
        #expect(bounding.contains(sysResource) == procSaysPresent)
        if getuid() == 0, !procSaysPresent {
            #expect(!bounding.map(\.name).contains("CAP_SYS_RESOURCE"))
        }
    }
}
