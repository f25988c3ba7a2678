import BerthArchive
import BerthOCI
import BerthRegistry
import BerthSnapshots
import BerthTestSupport
import BerthUnpack
import Foundation
import Synchronization
import Testing

/// The pull benchmark: a ~190 MB three-layer image (6,000 small files,
/// 150 MB of random data, compressible text, a whiteout) in a loopback
/// docker-registry, pulled and unpacked cold by Berth (download streamed into
/// the overlayfs unpack) and by containerd 1.6 (`ctr images pull --plain-http`
/// against a private instance), side by side, several times. Prints medians
/// and the ratio. A benchmark, not a timed test: runs only with BERTH_BENCH=1
/// (hack/bench-pull.sh). BERTH_BENCH_RUNS sets the run count (default 5);
/// BERTH_BENCH_ONLY=berth skips containerd.
@Suite(.serialized)
struct PullBenchmark {
    static let enabled =
        ProcessInfo.processInfo.environment["BERTH_BENCH"] != nil && RegistryFixture.isAvailable && getuid() == 0
    static let runs = Int(ProcessInfo.processInfo.environment["BERTH_BENCH_RUNS"] ?? "") ?? 5

    /// Builds the image as an OCI layout (hack/bench-pull-image.py) and
    /// returns the layout path.
    static func buildImage(in directory: String) throws -> String {
        let script = repositoryRoot + "/hack/bench-pull-image.py"
        print(try run("/usr/bin/python3", [script, directory, Platform.host.architecture], timeout: 900))
        return directory + "/layout"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    @Test(.enabled(if: enabled)) func pullAndUnpack() async throws {
        let scratch = try TemporaryDirectory(prefix: "berth-bench-pull")
        defer { scratch.remove() }
        let layout = try Self.buildImage(in: scratch.path)
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        let reference = "\(registry.host)/bench/image:latest"
        try skopeoPush(layout: layout, tag: "latest", to: reference)

        var berth: [Double] = []
        for round in 0..<Self.runs {
            let store = try TestStore()
            defer { store.remove() }
            let snapshots = scratch.path + "/snapshots-\(round)"
            let snapshotter = try LocalSnapshotter(driver: .overlayfs, root: snapshots, logger: testLogger)
            let sink = StreamingUnpackSink(unpacker: Unpacker(snapshotter: snapshotter, logger: testLogger))
            sync()
            let clock = ContinuousClock()
            let start = clock.now
            let result = try await withClient(makeClient(plainHTTP: [registry.host])) { client in
                try await client.pull(
                    ImageReference(parsing: reference), into: store.access, options: PullOptions(layerSink: sink))
            }
            let unpacked = try await sink.result()
            berth.append(Self.seconds(clock.now - start))
            #expect(result.streamedLayers.count == 3)
            #expect(unpacked?.chainID != nil)
            _ = try? BerthRegistryTests.run("/bin/rm", ["-rf", snapshots], timeout: 120)
        }

        // For reference: the download alone, into the content store.
        var download: [Double] = []
        for _ in 0..<Self.runs {
            let store = try TestStore()
            defer { store.remove() }
            sync()
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await withClient(makeClient(plainHTTP: [registry.host])) { client in
                try await client.pull(ImageReference(parsing: reference), into: store.access)
            }
            download.append(Self.seconds(clock.now - start))
        }
        print("berth pull without unpack (content store only): median \(Self.median(download)) s of \(download)")

        var containerd: [Double] = []
        let script = repositoryRoot + "/hack/containerd-private.sh"
        let skipContainerd = ProcessInfo.processInfo.environment["BERTH_BENCH_ONLY"] == "berth"
        for round in 0..<(skipContainerd ? 0 : Self.runs) {
            let dir = scratch.path + "/containerd-\(round)"
            try Self.runWith(script: script, dir: dir) {
                sync()
                let clock = ContinuousClock()
                let start = clock.now
                try BerthRegistryTests.run(
                    "/usr/bin/ctr",
                    ["--address", dir + "/containerd.sock", "images", "pull", "--plain-http", reference],
                    timeout: 600)
                containerd.append(Self.seconds(clock.now - start))
            }
        }
        let berthMedian = Self.median(berth)
        print("berth pull+unpack (overlayfs, streamed): median \(berthMedian) s of \(berth)")
        guard !containerd.isEmpty else { return }
        let containerdMedian = Self.median(containerd)
        print("containerd 1.6 ctr images pull --plain-http: median \(containerdMedian) s of \(containerd)")
        print("ratio berth/containerd: \(berthMedian / containerdMedian) (target <= 0.5)")
    }

    static func runWith(script: String, dir: String, _ body: () throws -> Void) throws {
        try BerthRegistryTests.run("/bin/bash", [script, "start", dir], timeout: 60)
        defer { _ = try? BerthRegistryTests.run("/bin/bash", [script, "stop", dir], timeout: 60) }
        try body()
    }
}
