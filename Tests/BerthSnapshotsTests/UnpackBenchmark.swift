import BerthOCI
import BerthSnapshots
import BerthUnpack
import Foundation
import Testing

/// The benchmark image (6,000 small files, 150 MB of random data,
/// compressible text, a whiteout), unpacked cold into each snapshotter and
/// compared with `tar -xzf` of the same blobs. A benchmark, not a timed
/// test: runs only with `BERTH_BENCH=1` and prints medians. Each run
/// starts after sync(2), and the time excludes flushing its writes.
@Suite struct UnpackBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["BERTH_BENCH"] != nil

    static let script = """
        import io, os, random, sys, tarfile
        out = sys.argv[1]
        rng = random.Random(7)
        def add(t, name, data):
            i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1500000000; i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
        def adddir(t, name):
            i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
        words = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9))) for _ in range(5000)]
        with tarfile.open(out + '/small.tar', 'w', format=tarfile.PAX_FORMAT) as t:
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
            add(t, 'small/d00/.wh.f000.txt', b'')
        """

    @Test(.enabled(if: enabled)) func unpackImage() async throws {
        let scratch = try SnapshotFixture(driver: .native)
        defer { scratch.remove() }
        try TestLayer.run("/usr/bin/python3", ["-c", Self.script, scratch.scratch])
        var layers: [TestLayer] = []
        for name in ["small", "random", "text"] {
            try TestLayer.run("/usr/bin/gzip", ["-k", "-6", scratch.scratch + "/\(name).tar"])
            let blob = try TestLayer.digestAndSize(scratch.scratch + "/\(name).tar.gz")
            let diff = try TestLayer.digestAndSize(scratch.scratch + "/\(name).tar")
            layers.append(
                TestLayer(
                    path: scratch.scratch + "/\(name).tar.gz", tarPath: scratch.scratch + "/\(name).tar",
                    descriptor: .init(mediaType: .ociLayerGzip, digest: blob.digest, size: blob.size),
                    diffID: diff.digest))
        }
        let total = layers.reduce(Int64(0)) { $0 + $1.descriptor.size }
        print("benchmark image: \(layers.count) layers, \(total >> 20) MiB compressed")
        for driver in [LocalSnapshotter.Driver.overlayfs, .native] {
            var times: [Double] = []
            var cpu: [Double] = []
            for _ in 0..<5 {
                let fixture = try SnapshotFixture(driver: driver)
                sync()  // start each run without the previous run's dirty pages
                let clock = ContinuousClock()
                let start = clock.now
                let cpuStart = Self.processCPUSeconds()
                _ = try await Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
                    .unpack(layers.map(\.unpackLayer))
                times.append(Self.seconds(clock.now - start))
                cpu.append(Self.processCPUSeconds() - cpuStart)
                fixture.remove()
            }
            print("berth unpack \(driver): median \(Self.median(times)) s of \(times)")
            print("berth unpack \(driver): median CPU (user+sys) \(Self.median(cpu)) s")
        }
        var tarTimes: [Double] = []
        for run in 0..<5 {
            let target = try scratch.makeDirectory("tar\(run)")
            sync()
            let clock = ContinuousClock()
            let start = clock.now
            for layer in layers {
                try TestLayer.run("/bin/tar", ["-xzf", layer.path, "-C", target])
            }
            tarTimes.append(Self.seconds(clock.now - start))
        }
        print("tar -xzf (sequential, no digest): median \(Self.median(tarTimes)) s of \(tarTimes)")
    }

    /// User plus system CPU time of this process (all threads) so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
