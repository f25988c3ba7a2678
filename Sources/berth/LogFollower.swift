import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// Copies what is appended to log files to this process's stdout and
/// stderr: `pump()` copies what is there now; `follow()` pumps until the
/// task is cancelled. A file that does not exist yet is opened when it appears.
/// With `timestamps`, each line is prefixed with the time the shim wrote it.
final class LogFollower: @unchecked Sendable {
    private struct Source {
        var path: String
        var output: Int32
        var fd: Int32 = -1
        var offset: off_t
        /// Where to stop (`logs --until`); nil: the end, whatever it becomes.
        var end: off_t?
        var timeline: LogTimeline?
        /// Whether the next byte copied begins a line.
        var atLineStart = true
    }

    private let lock = NSLock()
    private var sources: [Source]

    /// - Parameters:
    ///   - offsets: where to start in each file (default: the beginning);
    ///     with `timestamps`, each must begin a line.
    ///   - ends: where to stop in each file (default: nowhere).
    ///   - timestamps: prefix lines with their write times (Docker's `logs -t`).
    init(
        _ files: [(path: String, output: Int32)], offsets: [off_t]? = nil, ends: [off_t]? = nil,
        timestamps: Bool = false
    ) {
        sources = files.enumerated().map { index, file in
            Source(
                path: file.path, output: file.output, offset: offsets?[index] ?? 0, end: ends?[index],
                timeline: timestamps ? LogTimeline(logPath: file.path) : nil)
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
                    let limit = sources[index].end.map { max(0, Int($0 - sources[index].offset)) } ?? buffer.count
                    guard limit > 0 else { break }
                    let count = buffer.withUnsafeMutableBytes {
                        pread(sources[index].fd, $0.baseAddress, min($0.count, limit), sources[index].offset)
                    }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    if sources[index].timeline != nil {
                        Self.writeAll(sources[index].output, stamped(&sources[index], buffer[0..<count])[...])
                    } else {
                        Self.writeAll(sources[index].output, buffer[0..<count])
                    }
                    sources[index].offset += off_t(count)
                    moved = true
                }
            }
            return moved
        }
    }

    /// `bytes`, read at the source's offset, with each line prefixed by
    /// its write time (the file's modification time where the shim kept
    /// no record).
    private func stamped(_ source: inout Source, _ bytes: ArraySlice<UInt8>) -> [UInt8] {
        source.timeline?.refresh()
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var position = source.offset
        for byte in bytes {
            if source.atLineStart {
                let time = source.timeline?.nanoseconds(at: position) ?? Self.modificationTime(source.path)
                out.append(contentsOf: Array(LogTimeline.format(time).utf8))
                out.append(UInt8(ascii: " "))
            }
            out.append(byte)
            source.atLineStart = byte == UInt8(ascii: "\n")
            position += 1
        }
        return out
    }

    static func modificationTime(_ path: String) -> Int64 {
        let date = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        return Int64(((date ?? Date()).timeIntervalSince1970 * 1e9).rounded(.down))
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
