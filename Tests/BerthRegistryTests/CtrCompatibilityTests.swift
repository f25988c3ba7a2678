import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import Testing

/// Archives exchanged with the real `ctr` against a private containerd 1.6.
@Suite(
    "ctr-compatible archives", .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/containerd") && getuid() == 0))
struct CtrCompatibilityTests {
    @Test("an archive from `ctr images export` imports; Berth's OCI export imports into ctr")
    func roundTrip() async throws {
        let images = try await TestImages.shared.paths()
        let scratch = try TemporaryDirectory(prefix: "berth-ctr")
        defer { scratch.remove() }
        let script = repositoryRoot + "/hack/containerd-private.sh"
        let containerd = scratch.path + "/containerd"
        try run("/bin/bash", [script, "start", containerd], timeout: 30)
        defer { _ = try? run("/bin/bash", [script, "stop", containerd], timeout: 30) }
        let address = containerd + "/containerd.sock"
        func ctr(_ arguments: [String]) throws -> String {
            try run("/usr/bin/ctr", ["--address", address, "--namespace", "berth-test"] + arguments, timeout: 60)
        }

        // ctr → Berth
        _ = try ctr(["images", "import", "--no-unpack", images.archive])
        let fromCtr = scratch.path + "/from-ctr.tar"
        _ = try ctr(["images", "export", fromCtr, "localhost/berth/busybox:latest"])
        let store = try TestStore()
        defer { store.remove() }
        let archives = ImageArchives(store: store.access, logger: testLogger)
        let records = try await archives.importImages(from: fromCtr)
        #expect(records.map(\.name) == ["localhost/berth/busybox:latest"])
        #expect(records.first?.target.digest == images.manifestDigest)

        // Berth → ctr, under a new name
        let renamed = [ImageRecord(name: "example.com/berth/exported:v2", target: try #require(records.first).target)]
        let fromBerth = scratch.path + "/from-berth.tar"
        try await archives.exportOCIArchive(renamed, to: fromBerth)
        _ = try ctr(["images", "import", "--no-unpack", fromBerth])
        let listing = try ctr(["images", "ls"])
        let line = try #require(listing.split(separator: "\n").first { $0.hasPrefix("example.com/berth/exported:v2") })
        #expect(line.contains(images.manifestDigest.description))

        // and Berth's docker-archive too
        let dockerTar = scratch.path + "/docker.tar"
        try await archives.exportDockerArchive(
            [ImageRecord(name: "example.com/berth/docker:v3", target: renamed[0].target)], to: dockerTar)
        _ = try ctr(["images", "import", "--no-unpack", dockerTar])
        #expect(try ctr(["images", "ls", "-q"]).contains("example.com/berth/docker:v3"))
    }
}
