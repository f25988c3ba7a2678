import BerthArchive
import BerthOCI
import BerthRegistry
import BerthSnapshots
import BerthTestSupport
import BerthUnpack
import Foundation
import Synchronization
import Testing

/// The issue's pull benchmark: a ~190 MB three-layer image (6,000 small files,
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

    static let generator = """
        import io, os, random, sys, tarfile
        out = sys.argv[1]
        rng = random.Random(7)
        def add(t, name, data):
            i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1500000000; i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
        def adddir(t, name):
            i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; i.mtime = 1500000000; t.addfile(i)
        words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9))) for _ in range(5000)]
        with tarfile.open(out + '/small.tar', 'w', format=tarfile.PAX_FORMAT) as t:
            adddir(t, 'small')
            for d in range(60):
                adddir(t, 'small/d%02d' % d)
                for f in range(100):
                    add(t, 'small/d%02d/f%03d.txt' % (d, f), ' '.join(rng.choice(words) for _ in range(rng.randint(50, 400))).encode())
        with tarfile.open(out + '/random.tar', 'w', format=tarfile.PAX_FORMAT) as t:
            adddir(t, 'random')
            for n in range(3):
                add(t, 'random/blob%d' % n, os.urandom(50 << 20))
        with tarfile.open(out + '/text.tar', 'w', format=tarfile.PAX_FORMAT) as t:
            adddir(t, 'text')
            text = '\\n'.join(' '.join(rng.choice(words) for _ in range(12)) for _ in range(400000)).encode()
            add(t, 'text/corpus.txt', text)
            adddir(t, 'small'); adddir(t, 'small/d00')
            add(t, 'small/d00/.wh.f000.txt', b'')
        """

    /// Builds the image as an OCI layout and returns the layout path.
    static func buildImage(in directory: String) throws -> String {
        try run("/usr/bin/python3", ["-c", generator, directory], timeout: 600)
        let layout = directory + "/layout"
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        func store(_ path: String) throws -> Descriptor {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let digest = Digest.sha256(of: bytes)
            try FileManager.default.moveItem(atPath: path, toPath: layout + "/blobs/sha256/" + digest.encoded)
            return Descriptor(mediaType: .ociLayerGzip, digest: digest, size: Int64(bytes.count))
        }
        var layers: [Descriptor] = []
        var diffIDs: [Digest] = []
        for name in ["small", "random", "text"] {
            let tar = "\(directory)/\(name).tar"
            diffIDs.append(Digest.sha256(of: [UInt8](try Data(contentsOf: URL(fileURLWithPath: tar)))))
            try run("/usr/bin/gzip", ["-6", "-n", tar], timeout: 600)
            layers.append(try store(tar + ".gz"))
        }
        let config = ImageConfig(
            architecture: Platform.host.architecture, os: "linux",
            config: ImageConfig.Config(cmd: ["/bin/sh"]), rootfs: .init(diffIDs: diffIDs))
        let configBytes = [UInt8](try JSONEncoder().encode(config))
        let configDigest = Digest.sha256(of: configBytes)
        try Data(configBytes).write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + configDigest.encoded))
        let manifest = Manifest(
            config: Descriptor(mediaType: .ociConfig, digest: configDigest, size: Int64(configBytes.count)),
            layers: layers)
        let manifestBytes = [UInt8](try JSONEncoder().encode(manifest))
        let manifestDigest = Digest.sha256(of: manifestBytes)
        try Data(manifestBytes).write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + manifestDigest.encoded))
        let index = Index(manifests: [
            Descriptor(
                mediaType: .ociManifest, digest: manifestDigest, size: Int64(manifestBytes.count),
                annotations: [AnnotationKey.refName: "latest"])
        ])
        try Data(try JSONEncoder().encode(index)).write(to: URL(fileURLWithPath: layout + "/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        let total = layers.reduce(Int64(0)) { $0 + $1.size }
        print("benchmark image: \(layers.count) layers, \(total >> 20) MiB compressed, manifest \(manifestDigest)")
        return layout
    }

    /// Feeds each downloading layer into an overlayfs unpack; the unpack starts
    /// once the sink has a channel for every layer of the image.
    final class UnpackSink: LayerSink, Sendable {
        let unpacker: Unpacker
        private let state = Mutex<(layers: [Int: UnpackLayer], task: Task<Unpacker.Result, any Error>?)>(([:], nil))

        init(unpacker: Unpacker) {
            self.unpacker = unpacker
        }

        func consumer(for layer: Descriptor, index: Int, image: PulledImage) async throws -> (any LayerConsumer)? {
            guard let diffIDs = image.config?.rootfs.diffIDs, index < diffIDs.count else { return nil }
            let channel = ByteChannel()
            let unpacker = self.unpacker
            state.withLock { state in
                state.layers[index] = UnpackLayer(descriptor: layer, diffID: diffIDs[index], channel: channel)
                if state.layers.count == diffIDs.count {
                    let ordered = (0..<diffIDs.count).compactMap { state.layers[$0] }
                    state.task = Task { try await unpacker.unpack(ordered) }
                }
            }
            return ByteChannelConsumer(channel: channel)
        }

        func result() async throws -> Unpacker.Result? {
            try await state.withLock { $0.task }?.value
        }
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
            let sink = UnpackSink(unpacker: Unpacker(snapshotter: snapshotter, logger: testLogger))
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
