import BerthSystem
import Foundation

/// When the pieces of a log file were written, from the index the shim
/// appends next to it (`<log>.idx`; docs/shim-protocol.md §8): what
/// `logs --since` and `--timestamps` read, per line.
struct LogTimeline {
    struct Mark: Equatable {
        var offset: off_t
        var nanoseconds: Int64
    }

    static let recordSize = 16

    let logPath: String
    private(set) var marks: [Mark] = []
    private var indexBytesRead: off_t = 0

    /// The timeline of `logPath`, as far as its index goes now.
    init(logPath: String) {
        self.logPath = logPath
        refresh()
    }

    /// Whether the shim recorded any write times (not for logs written by
    /// other shims, or before Berth kept indexes).
    var isEmpty: Bool { marks.isEmpty }

    /// Reads the records appended since the last call.
    mutating func refresh() {
        let fd = open(logPath + ".idx", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 * Self.recordSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, indexBytesRead) }
            guard count >= Self.recordSize else { return }
            let whole = count - count % Self.recordSize
            buffer.withUnsafeBytes { raw in
                for start in stride(from: 0, to: whole, by: Self.recordSize) {
                    let offset = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                    let nanoseconds = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: Int64.self))
                    // Offsets only grow; anything else is not a record of ours.
                    if let last = marks.last, off_t(offset) < last.offset { continue }
                    marks.append(Mark(offset: off_t(clamping: offset), nanoseconds: nanoseconds))
                }
            }
            indexBytesRead += off_t(whole)
        }
    }

    /// When the byte at `offset` was written: the time of the last write
    /// that began at or before it.
    func nanoseconds(at offset: off_t) -> Int64? {
        var low = 0
        var high = marks.count
        while low < high {
            let middle = (low + high) / 2
            if marks[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : marks[low - 1].nanoseconds
    }

    /// Where the first line written at or after `date` begins (the log's
    /// size when every line is older). A line that began in an older write
    /// is older, even if it ended later.
    func firstLine(since date: Date) -> off_t {
        let threshold = Int64((date.timeIntervalSince1970 * 1e9).rounded(.down))
        guard let mark = marks.first(where: { $0.nanoseconds >= threshold }) else {
            return LogFollower.sizes([logPath])[0]
        }
        return Self.lineStart(atOrAfter: mark.offset, in: logPath)
    }

    /// `offset` if a line begins there, else the start of the next line.
    static func lineStart(atOrAfter offset: off_t, in path: String) -> off_t {
        guard offset > 0 else { return 0 }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return offset }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var position = offset - 1
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, position) }
            guard count > 0 else { return position }
            if let newline = buffer[0..<count].firstIndex(of: UInt8(ascii: "\n")) {
                return position + off_t(newline) + 1
            }
            position += off_t(count)
        }
    }

    /// `nanoseconds` as Docker prints log times: RFC 3339 in UTC with nine
    /// fractional digits.
    static func format(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        return WallTime(seconds: seconds, nanoseconds: Int32(nanoseconds - seconds * 1_000_000_000)).rfc3339
    }
}
