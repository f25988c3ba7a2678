import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// Copies what is appended to log files to this process's stdout and
/// stderr: `pump()` copies what is there now; `follow()` pumps until the
/// task is cancelled. A file that does not exist yet is opened when it appears.
final class LogFollower: @unchecked Sendable {
    private struct Source {
        var path: String
        var output: Int32
        var fd: Int32 = -1
        var offset: off_t
    }

    private let lock = NSLock()
    private var sources: [Source]

    /// - Parameter offsets: where to start in each file (default: the beginning).
    init(_ files: [(path: String, output: Int32)], offsets: [off_t]? = nil) {
        sources = files.enumerated().map { index, file in
            Source(path: file.path, output: file.output, offset: offsets?[index] ?? 0)
        }
    }

    deinit {
        for source in sources where source.fd >= 0 { close(source.fd) }
    }

    /// The current sizes of `paths` (0 for a missing file).
    static func sizes(_ paths: [String]) -> [off_t] {
        paths.map { path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber
            return off_t(size?.int64Value ?? 0)
        }
    }

    /// Copies everything available now; whether anything was copied.
    @discardableResult
    func pump() -> Bool {
        lock.withLock {
            var moved = false
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            for index in sources.indices {
                if sources[index].fd < 0 {
                    sources[index].fd = open(sources[index].path, O_RDONLY | O_CLOEXEC)
                    if sources[index].fd < 0 { continue }
                }
                while true {
                    let count = buffer.withUnsafeMutableBytes {
                        pread(sources[index].fd, $0.baseAddress, $0.count, sources[index].offset)
                    }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    sources[index].offset += off_t(count)
                    Self.writeAll(sources[index].output, buffer[0..<count])
                    moved = true
                }
            }
            return moved
        }
    }

    /// Pumps every 20 ms until cancelled, then once more.
    func follow() async {
        while !Task.isCancelled {
            if !pump() {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        pump()
    }

    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            rest = rest.dropFirst(written)
        }
    }
}
