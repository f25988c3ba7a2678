import BerthArchive
import BerthOCI
import BerthSnapshots
import BerthTestSupport
import BerthUnpack
import CBerthSys
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The change walk (`TreeDiff`) and the layer it writes (`LayerDiff`), on two
/// plain directory trees: the upper one is a `cp -a` of the lower one with
/// one change of each kind.
@Suite("Layer diff")
struct LayerDiffTests {
    /// Lower tree, then the upper tree's changes.
    static let script = """
        set -e
        mkdir -p L/d L/o L/keep L/sub
        echo one > L/a; echo bee > L/b; echo x > L/d/x; echo y > L/d/y
        echo p > L/o/p; echo q > L/o/q; echo k > L/keep/k; echo h > L/h1
        echo m > L/m1; ln L/m1 L/m2; echo lonely > L/sub/only; echo stay > L/sub/stay
        find L -exec touch -h -d @1700000000 {} +
        cp -a L U
        echo new > U/n
        echo changed > U/a
        rm U/b
        rm -r U/d
        rm U/o/p U/o/q; echo r > U/o/r
        ln -s a U/s
        ln U/h1 U/z
        echo more >> U/m1
        chmod 0700 U/keep
        mknod U/dev c 1 3
        rm U/sub/only
        touch -h -d @1700000100 U/a U/n U/o/r U/s U/m1 U/dev
        """

    /// What the walk must report, in order.
    static let expectedChanges: [(TreeChange.Kind, String)] = [
        (.modified, "a"), (.deleted, "b"), (.deleted, "d"), (.added, "dev"), (.unmodified, "h1"),
        (.modified, "keep"), (.modified, "m1"), (.modified, "m2"), (.added, "n"), (.opaque, "o"), (.added, "o/r"),
        (.added, "s"), (.deleted, "sub/only"), (.added, "z"),
    ]

    /// The layer's members, in order: kind and name.
    static let expectedEntries: [(TarEntry.Kind, String)] = [
        (.regular, "a"), (.regular, ".wh.b"), (.regular, ".wh.d"), (.characterDevice, "dev"), (.directory, "keep/"),
        (.regular, "m1"), (.hardlink, "m2"), (.regular, "n"), (.directory, "o/"), (.regular, "o/.wh..wh..opq"),
        (.regular, "o/r"), (.symlink, "s"), (.directory, "sub/"), (.regular, "sub/.wh.only"), (.regular, "z"),
        (.hardlink, "h1"),
    ]

    @Test("the walk reports added, modified, deleted (file and directory), opaque and linked files")
    func changes() throws {
        try Self.withTrees { lower, upper in
            var changes: [(TreeChange.Kind, String)] = []
            try TreeDiff(lower: lower, upper: upper).walk { changes.append(($0.kind, $0.displayPath)) }
            #expect(changes.map { "\($0.0) \($0.1)" } == Self.expectedChanges.map { "\($0.0) \($0.1)" })
        }
    }

    @Test("the layer carries whiteouts, the opaque marker, parents, symlinks, devices and hardlinks")
    func entries() throws {
        try Self.withTrees { lower, upper in
            let (bytes, layer) = try Self.layer(lower, upper, compression: .none)
            let reader = try TarReader(source: MemorySource(bytes))
            var entries: [TarEntry] = []
            while let entry = try reader.next() { entries.append(entry) }
            #expect(entries.map { "\($0.kind) \($0.path)" } == Self.expectedEntries.map { "\($0.0) \($0.1)" })
            let byName = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byName["s"]?.linkTarget == "a")
            #expect(byName["m2"]?.linkTarget == "m1")
            #expect(byName["h1"]?.linkTarget == "z")
            #expect(byName["dev"]?.deviceMajor == 1 && byName["dev"]?.deviceMinor == 3)
            #expect(byName["keep/"]?.mode == 0o700)
            #expect(layer.entries == entries.count)
            #expect(layer.diffID == Digest.sha256(of: bytes))
            #expect(layer.size == Int64(bytes.count))
        }
    }

    @Test(
        "applying the compressed layer to the lower tree gives the upper tree",
        arguments: [TarReader.Compression.gzip, .zstd])
    func roundTrip(compression: TarReader.Compression) throws {
        try Self.withTrees { lower, upper in
            let (bytes, layer) = try Self.layer(lower, upper, compression: compression)
            let result = URL(fileURLWithPath: lower).deletingLastPathComponent().path + "/R"
            try Self.shell("cp -a L R", in: URL(fileURLWithPath: lower).deletingLastPathComponent().path)
            let applier = try LayerApplier(
                target: DiffTarget(directory: result, lowerDirectories: [], whiteouts: .delete), layer: nil,
                logger: .snapshotTest)
            let applied = try applier.apply(source: MemorySource(bytes), diffID: layer.diffID)
            #expect(applied.diffID == layer.diffID)
            #expect(applied.compression == compression)
            var left: [String] = []
            try TreeDiff(lower: result, upper: upper).walk { change in
                if change.kind != .unmodified { left.append("\(change.kind) \(change.displayPath)") }
            }
            #expect(left == [])
            #expect(try FileStatus(result + "/h1").inode == FileStatus(result + "/z").inode)
            #expect(try FileStatus(result + "/m1").inode == FileStatus(result + "/m2").inode)
            #expect(try String(contentsOfFile: result + "/m2", encoding: .utf8) == "m\nmore\n")
            #expect(!FileManager.default.fileExists(atPath: result + "/o/p"))
            #expect(FileManager.default.fileExists(atPath: result + "/sub/stay"))
        }
    }

    @Test("equal trees give equal bytes, and no changes give an empty layer")
    func deterministic() throws {
        try Self.withTrees { lower, upper in
            let first = try Self.layer(lower, upper, compression: .gzip)
            let second = try Self.layer(lower, upper, compression: .gzip)
            #expect(first.0 == second.0)
            let same = try Self.layer(lower, lower, compression: .none)
            #expect(same.1.entries == 0)
        }
    }

    @Test("extended attributes are compared and carried")
    func extendedAttributes() throws {
        try Self.withTrees { lower, upper in
            let value = Array("berth".utf8)
            let rc = value.withUnsafeBytes {
                berth_lsetxattr(upper + "/keep/k", "user.berth", $0.baseAddress, $0.count)
            }
            try #require(rc == 0, "user xattrs not supported here")
            let (bytes, _) = try Self.layer(lower, upper, compression: .none)
            let reader = try TarReader(source: MemorySource(bytes))
            var attributes: [TarEntry.ExtendedAttribute]?
            while let entry = try reader.next() {
                if entry.path == "keep/k" { attributes = entry.extendedAttributes }
            }
            #expect(attributes == [TarEntry.ExtendedAttribute(name: "user.berth", value: value)])
        }
    }

    @Test("a name starting with .wh. in the upper tree is refused")
    func reservedName() throws {
        try Self.withTrees { lower, upper in
            try Self.shell("touch U/.wh.sneaky", in: URL(fileURLWithPath: upper).deletingLastPathComponent().path)
            #expect(throws: UnpackError.self) { try Self.layer(lower, upper, compression: .none) }
        }
    }

    // MARK: - Helpers

    static func withTrees(_ body: (String, String) throws -> Void) throws {
        let directory = try TemporaryDirectory(prefix: "berth-diff")
        defer { directory.remove() }
        try shell(script, in: directory.path)
        try body(directory.path + "/L", directory.path + "/U")
    }

    static func layer(_ lower: String, _ upper: String, compression: TarReader.Compression) throws
        -> ([UInt8], DiffedLayer)
    {
        var bytes: [UInt8] = []
        let layer = try LayerDiff.write(lower: lower, upper: upper, compression: compression, logger: .snapshotTest) {
            bytes.append(contentsOf: $0)
        }
        return (bytes, layer)
    }

    static func shell(_ script: String, in directory: String) throws {
        let process = try TestProcess(
            "/bin/sh", ["-c", "cd '\(directory)' && " + script], stdout: "/dev/null", stderr: directory + "/.stderr")
        let status = process.wait(timeout: .seconds(60))
        let stderr = (try? String(contentsOfFile: directory + "/.stderr", encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: directory + "/.stderr")
        guard status == 0 else { throw TestFailure("sh failed (\(String(describing: status))): \(stderr)") }
    }
}
