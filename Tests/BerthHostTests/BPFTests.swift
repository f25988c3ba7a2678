import BerthBPF
import Foundation
import Testing

@Suite struct BPFTests {
    @Test func libbpfVersionIsMajorDotMinor() {
        let parts = BPF.libbpfVersion.split(separator: ".")
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { Int($0) != nil })
        #expect(Int(parts.first ?? "") ?? 0 >= 1)
    }

    @Test func cgroupDeviceProbeAnswersAsRoot() {
        let support = BPF.probeCgroupDeviceSupport()
        if getuid() == 0 {
            // Root may load BPF programs, so the answer must be definite.
            #expect(support == .supported || support == .unsupported, "\(support)")
        }
        #expect(["supported", "unsupported", "unknown"].contains(support.name))
    }
}
