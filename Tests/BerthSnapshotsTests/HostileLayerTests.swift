import BerthErrors
import BerthOCI
import BerthSnapshots
import BerthUnpack
import Foundation
import Testing

/// One escape technique: the layers (Python `add` lines; `CANARY` stands for
/// the canary directory's absolute path), the entry the error must name,
/// and the code it must carry.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let layers: [[String]]
    let entry: String
    let code: ErrorCode
    var limits = UnpackLimits()

    var testDescription: String { name }

    /// From a snapshot's fs directory (`<tmp>/root/snapshots/<n>/fs`) up to `<tmp>`.
    static let up = "../../../.."

    static let all: [HostileCase] = [
        HostileCase(
            name: "dot-dot entry", layers: [[Py.file("\(up)/canary/dotdot")]], entry: "\(up)/canary/dotdot",
            code: .invalidArgument),
        HostileCase(
            name: "dot-dot inside a path", layers: [[Py.dir("a"), Py.file("a/\(up)/../canary/inner")]],
            entry: "a/\(up)/../canary/inner", code: .invalidArgument),
        HostileCase(
            name: "absolute name", layers: [[Py.file("CANARY/absolute")]], entry: "CANARY/absolute",
            code: .invalidArgument),
        HostileCase(
            name: "symlink then write through it (same layer)",
            layers: [[Py.symlink("evil", "CANARY"), Py.file("evil/pwned")]], entry: "evil/pwned",
            code: .invalidArgument),
        HostileCase(
            name: "relative symlink then write through it",
            layers: [[Py.symlink("evil", "\(up)/canary"), Py.file("evil/pwned")]], entry: "evil/pwned",
            code: .invalidArgument),
        HostileCase(
            name: "symlink planted in an earlier layer",
            layers: [[Py.symlink("evil", "CANARY")], [Py.file("evil/pwned")]], entry: "evil/pwned",
            code: .invalidArgument),
        HostileCase(
            name: "symlink directory chain",
            layers: [[Py.symlink("b", "CANARY"), Py.symlink("a", "b"), Py.file("a/pwned")]], entry: "a/pwned",
            code: .invalidArgument),
        HostileCase(
            name: "symlink to a parent directory inside a tree",
            layers: [[Py.dir("d"), Py.symlink("d/up", "../../../../.."), Py.file("d/up/canary/pwned")]],
            entry: "d/up/canary/pwned", code: .invalidArgument),
        HostileCase(
            name: "symlink chain across layers",
            layers: [[Py.symlink("b", "CANARY")], [Py.symlink("a", "b")], [Py.file("a/pwned")]],
            entry: "a/pwned", code: .invalidArgument),
        HostileCase(
            name: "hardlink to an absolute target", layers: [[Py.hardlink("passwd", "/etc/passwd")]],
            entry: "passwd", code: .invalidArgument),
        HostileCase(
            name: "hardlink to a dot-dot target",
            layers: [[Py.hardlink("stolen", "\(up)/canary/sentinel")]], entry: "stolen", code: .invalidArgument),
        HostileCase(
            name: "hardlink through a symlinked parent",
            layers: [[Py.symlink("s", "CANARY"), Py.hardlink("stolen", "s/sentinel")]], entry: "stolen",
            code: .invalidArgument),
        HostileCase(
            name: "whiteout of dot-dot", layers: [[Py.file(".wh..")]], entry: ".wh..", code: .invalidArgument),
        HostileCase(
            name: "whiteout with a dot-dot path", layers: [[Py.file("\(up)/canary/.wh.sentinel")]],
            entry: "\(up)/canary/.wh.sentinel", code: .invalidArgument),
        HostileCase(
            name: "whiteout through a symlinked parent",
            layers: [[Py.symlink("s", "CANARY"), Py.file("s/.wh.sentinel")]], entry: "s/.wh.sentinel",
            code: .invalidArgument),
        HostileCase(
            name: "whiteout through a symlink from an earlier layer",
            layers: [[Py.symlink("s", "CANARY")], [Py.file("s/.wh.sentinel")]], entry: "s/.wh.sentinel",
            code: .invalidArgument),
        HostileCase(
            name: "opaque marker through a symlinked parent",
            layers: [[Py.symlink("s", "CANARY"), Py.file("s/.wh..wh..opq")]], entry: "s/.wh..wh..opq",
            code: .invalidArgument),
        HostileCase(
            name: "device node outside the root", layers: [[Py.char("\(up)/canary/null", major: 1, minor: 3)]],
            entry: "\(up)/canary/null", code: .invalidArgument),
        HostileCase(
            name: "entry-count bomb", layers: [(0..<50).map { Py.file("f\($0)", "") }], entry: "f20",
            code: .resourceExhausted, limits: UnpackLimits(maxEntries: 20, maxBytes: 1 << 30)),
        HostileCase(
            name: "gzip bomb", layers: [[Py.zeros("bomb", size: 64 << 20)]], entry: "bomb", code: .resourceExhausted,
            limits: UnpackLimits(maxEntries: 100, maxBytes: 8 << 20)),
        HostileCase(
            name: "size bomb across entries",
            layers: [[Py.zeros("z1", size: 3 << 20), Py.zeros("z2", size: 3 << 20), Py.zeros("z3", size: 3 << 20)]],
            entry: "z3", code: .resourceExhausted, limits: UnpackLimits(maxEntries: 100, maxBytes: 8 << 20)),
    ]
}

@Suite struct HostileLayerTests {
    @Test(arguments: HostileCase.all, [LocalSnapshotter.Driver.overlayfs, .native])
    func hostileLayerIsRefused(_ hostile: HostileCase, driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let before = try fixture.canaryState()
            let layers = try hostile.layers.enumerated().map { index, entries in
                try TestLayer.make(
                    entries.map { $0.replacingOccurrences(of: "CANARY", with: fixture.canary) },
                    in: fixture.scratch, name: "layer\(index)")
            }
            let entry = hostile.entry.replacingOccurrences(of: "CANARY", with: fixture.canary)
            let unpacker = Unpacker(
                snapshotter: fixture.snapshotter, logger: .snapshotTest, options: .init(limits: hostile.limits))
            do {
                _ = try await unpacker.unpack(layers.map(\.unpackLayer))
                Issue.record("\(hostile.name): unpack succeeded")
            } catch let error as UnpackError {
                #expect(error.code == hostile.code, "\(error)")
                #expect(error.message.contains(entry), "\(error)")
                let named = layers.contains { error.message.contains($0.descriptor.digest.string) }
                #expect(named, "error does not name a layer: \(error)")
            }
            try expectNothingLeft(fixture)
            #expect(try fixture.canaryState() == before)
        }
    }

    @Test(arguments: [LocalSnapshotter.Driver.overlayfs, .native])
    func diffIDMismatchIsRefused(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let good = try TestLayer.make([Py.file("a")], in: fixture.scratch, name: "good")
            let bad = try TestLayer.make([Py.file("b")], in: fixture.scratch, name: "bad")
            let wrong = Digest.sha256(of: Array("not this layer".utf8))
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            do {
                _ = try await unpacker.unpack([good.unpackLayer, bad.claiming(diffID: wrong)])
                Issue.record("unpack succeeded")
            } catch let error as UnpackError {
                #expect(error.code == .failedPrecondition)
                #expect(error.layer == bad.descriptor.digest)
                #expect(error.message.contains(bad.descriptor.digest.string))
                #expect(error.message.contains(wrong.string))
                #expect(error.message.contains(bad.diffID.string))
            }
            try expectNothingLeft(fixture)
        }
    }

    @Test(arguments: [LocalSnapshotter.Driver.overlayfs, .native])
    func devicesAndFifosInsideAreAllowed(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let layer = try TestLayer.make(
                [
                    Py.dir("dev"), Py.char("dev/null", major: 1, minor: 3), Py.block("dev/loop9", major: 7, minor: 9),
                    Py.fifo("dev/pipe"),
                ], in: fixture.scratch, name: "devices")
            let unpacker = Unpacker(snapshotter: fixture.snapshotter, logger: .snapshotTest)
            let result = try await unpacker.unpack([layer.unpackLayer])
            let top = try #require(result.chainID)
            let directory = try fixture.snapshotter.layerDirectories(key: top.string, namespace: "default")[0]
            let null = try FileStatus(directory + "/dev/null")
            #expect(null.type == S_IFCHR && null.major == 1 && null.minor == 3)
            let loop = try FileStatus(directory + "/dev/loop9")
            #expect(loop.type == S_IFBLK && loop.major == 7 && loop.minor == 9)
            #expect(try FileStatus(directory + "/dev/pipe").type == S_IFIFO)
            #expect(try fixture.canaryState() == ["sentinel", "canary\n"])
        }
    }

    /// No snapshot (committed or not) and no snapshot directory remains.
    func expectNothingLeft(_ fixture: SnapshotFixture) throws {
        let snapshots = try fixture.snapshotter.list(namespace: "default")
        #expect(snapshots.isEmpty, "left behind: \(snapshots.map(\.name))")
        let directories = try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/snapshots")
        #expect(directories.isEmpty, "left behind: \(directories)")
    }
}
