import BerthArchive
import BerthSnapshots
import BerthUnpack
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Applies the input as a layer into an empty directory, with overlay
/// whiteouts for inputs of odd length and deletions applied for even ones.
/// Whatever the layer says, nothing may appear beside the directory: the
/// work area holds only `root` (the target) and `outside` (a sibling that
/// must stay empty, the natural place for a `../` escape to land).
///
/// hack/fuzz.sh runs this target in a private mount namespace whose `/` is
/// read-only and whose TMPDIR is a fresh tmpfs, so an escape to anywhere else
/// fails rather than damaging the host.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let area = WorkArea.shared
    area.reset()
    let target = DiffTarget(
        directory: area.root, lowerDirectories: [], whiteouts: size % 2 == 1 ? .overlay : .delete)
    do {
        let applier = try LayerApplier(
            target: target, layer: nil, limits: UnpackLimits(maxEntries: 4096, maxBytes: 8 << 20),
            logger: Logger(label: "fuzz-unpack", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try applier.apply(source: MemorySource(bytes), diffID: nil)
    } catch {
        // A clear error is the expected answer to a hostile or malformed layer.
    }
    area.check()
    return 0
}

final class WorkArea: @unchecked Sendable {
    static let shared = WorkArea()

    let base: String
    var root: String { base + "/root" }
    var outside: String { base + "/outside" }

    private init() {
        var template = Array((NSTemporaryDirectory() + "/berth-fuzz-unpack-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fail("mkdtemp: errno \(errno)") }
        base = String(cString: made)
        if mkdir(outside, 0o755) != 0 { fail("mkdir \(outside): errno \(errno)") }
    }

    /// Empties the target directory.
    func reset() {
        let manager = FileManager.default
        if manager.fileExists(atPath: root) {
            makeRemovable(root)
            do {
                try manager.removeItem(atPath: root)
            } catch {
                fail("cannot clean \(root): \(error)")
            }
        }
        if mkdir(root, 0o755) != 0 { fail("mkdir \(root): errno \(errno)") }
    }

    /// Nothing beside the target; `outside` still an empty directory.
    func check() {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: base)) ?? []
        if Set(names) != ["root", "outside"] {
            fail("the layer wrote beside its directory: \(names.sorted())")
        }
        var status = stat()
        if lstat(outside, &status) != 0 || (status.st_mode & S_IFMT) != S_IFDIR {
            fail("\(outside) was replaced")
        }
        let inside = (try? manager.contentsOfDirectory(atPath: outside)) ?? ["?"]
        if !inside.isEmpty {
            fail("the layer wrote outside its directory: \(inside.sorted())")
        }
    }

    /// Directories without write or search permission (a layer may set
    /// any mode) still have to be emptied; root may chmod them.
    private func makeRemovable(_ path: String) {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        chmod(path, 0o700)
        while let relative = walker.nextObject() as? String {
            let full = path + "/" + relative
            var status = stat()
            if lstat(full, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
                chmod(full, 0o700)
            }
        }
    }
}

func fail(_ message: String) -> Never {
    // Straight to fd 2, so the message is in the log before libFuzzer saves the input.
    let line = Array("fuzz-unpack: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
