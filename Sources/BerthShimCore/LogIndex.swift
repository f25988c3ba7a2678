import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// When each piece of a log file was written: the shim appends a record to
/// `<log>.idx` as output reaches the log, so `berth logs --since` and
/// `--timestamps` work per line while the log itself stays the container's
/// bytes, unchanged.
///
/// Format (docs/shim-protocol.md §8): 16-byte records, little-endian, each
/// the file offset where a write began (UInt64) and the wall-clock time of
/// that write in nanoseconds since the Unix epoch (Int64). Offsets grow.
/// At most one record per millisecond: the writes of that millisecond
/// share the first one's record.
final class LogIndex {
    static let recordSize = 16

    private let fd: Int32
    private var lastMillisecond: Int64 = .min

    /// Opens (or creates) the index of the log file at `logPath`; nil if
    /// it cannot be opened (the log is still written, without times).
    init?(logPath: String) {
        let fd = open(logPath + ".idx", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Records that `written` bytes were just appended to `sink`.
    func recordWrite(sink: Int32, written: Int) {
        let now = WallTime.now()
        let nanoseconds = now.seconds * 1_000_000_000 + Int64(now.nanoseconds)
        let millisecond = nanoseconds / 1_000_000
        guard millisecond != lastMillisecond else { return }
        let end = lseek(sink, 0, SEEK_CUR)
        guard end >= written else { return }
        lastMillisecond = millisecond
        var record = (UInt64(end - off_t(written)).littleEndian, nanoseconds.littleEndian)
        _ = withUnsafeBytes(of: &record) { write(fd, $0.baseAddress, Self.recordSize) }
    }
}
