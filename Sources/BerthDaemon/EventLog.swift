import BerthAPI
import BerthSystem
import Foundation
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// berthd's event log, `<state>/events.log`: every published envelope, with
/// its sequence number, so that numbering and history outlive the daemon.
///
/// Each record is a 4-byte big-endian length and the envelope's bytes with
/// the sequence as field 1000 (``Containerd_Services_Events_V1_Envelope/berthSequence``).
/// A record is one `write(2)` on an `O_APPEND` descriptor before any
/// subscriber sees the event. There is no fsync: the log lives in the state
/// directory, beside the shims' journals, and like them it survives a
/// crash of berthd, not of the host (after which no container is left
/// either). When the file holds twice ``retained`` records (or
/// ``maximumBytes``), it is rewritten with the newest ``retained``.
///
/// Not thread-safe: ``EventExchange`` calls it under its lock.
public final class EventLog {
    public static let fileName = "events.log"
    /// The largest record read back; a longer length means a damaged file.
    static let maximumRecord = 16 << 20
    /// The most read back at open (a larger file is damaged: it is emptied).
    static let maximumFile = 256 << 20
    /// The file is compacted when it reaches this size too (events from
    /// `Events.Publish` can be large), down to half of it.
    static let maximumBytes = 32 << 20

    public let path: String
    /// How many records a rewrite keeps.
    public let retained: Int
    /// The records found at open (envelope bytes, each with its sequence),
    /// oldest first, until ``takeLoaded()``.
    public private(set) var loaded: [[UInt8]] = []
    private let logger: Logger
    private var descriptor: Int32 = -1
    /// Where each record in the file starts (its length prefix), and where
    /// the last one ends: compaction copies a suffix without reading it
    /// into memory.
    private var starts: [Int] = []
    private var size = 0

    /// Opens (or creates) the log at `path`. A torn or damaged tail, which
    /// a crash in the middle of a write can leave, is cut off.
    public init(path: String, retained: Int, logger: Logger) throws(DaemonError) {
        self.path = path
        self.retained = retained
        self.logger = logger
        let data = Self.read(path)
        let (records, end) = Self.records(in: data)
        loaded = Self.newest(records, retained: retained).map { Array(data[$0]) }
        starts = records.map { $0.lowerBound - 4 }
        size = end
        do {
            descriptor = try Descriptor.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o600)
        } catch {
            throw .internal("open \(path): \(error)")
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? data.count
        if end < fileSize {
            logger.warning(
                "event log: cutting off a damaged tail", metadata: ["bytes": "\(fileSize - end)", "path": "\(path)"])
            if ftruncate(descriptor, off_t(end)) != 0 {
                throw .internal("truncate \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Hands over the records found at open and forgets them (the
    /// exchange keeps them as its history; one copy is enough).
    public func takeLoaded() -> [[UInt8]] {
        defer { loaded = [] }
        return loaded
    }

    deinit {
        if descriptor >= 0 { Descriptor.close(descriptor) }
    }

    /// Appends one envelope's bytes (already carrying its sequence).
    public func append(_ bytes: [UInt8]) {
        let record = FramedRecords.frame(bytes)
        do {
            try Descriptor.writeAll(descriptor, record)
            starts.append(size)
            size += record.count
        } catch {
            logger.warning("cannot append to the event log", metadata: ["error": "\(error)"])
        }
        if starts.count >= retained * 2 || size >= Self.maximumBytes { compact() }
    }

    /// Rewrites the file with its newest records (see ``newest(_:retained:)``),
    /// copied through a small buffer.
    private func compact() {
        let ranges = starts.indices.map { index in
            (starts[index] + 4)..<(index + 1 < starts.count ? starts[index + 1] : size)
        }
        let kept = Self.newest(ranges, retained: retained)
        guard let first = kept.first else { return }
        let from = first.lowerBound - 4
        let temporary = FileSystem.directoryName(path) + "/." + FileSystem.baseName(path) + ".tmp"
        do {
            try Self.copy(path, from: from, length: size - from, to: temporary)
            try FileSystem.rename(temporary, path)
            let fresh = try Descriptor.open(path, O_WRONLY | O_APPEND | O_CLOEXEC, mode: 0o600)
            Descriptor.close(descriptor)
            descriptor = fresh
            starts = kept.map { $0.lowerBound - 4 - from }
            size -= from
        } catch {
            FileSystem.remove(temporary)
            logger.warning("cannot compact the event log", metadata: ["error": "\(error)"])
        }
    }

    /// Copies `length` bytes of `source` from offset `from` into a new file
    /// `destination` (not fsynced: see the type's comment).
    static func copy(_ source: String, from: Int, length: Int, to destination: String) throws(SystemError) {
        let input = try Descriptor.open(source, O_RDONLY | O_CLOEXEC)
        defer { Descriptor.close(input) }
        let output = try Descriptor.open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        defer { Descriptor.close(output) }
        guard lseek(input, off_t(from), SEEK_SET) == off_t(from) else {
            throw SystemError(call: "lseek(\(source))", errno: errno)
        }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var left = length
        while left > 0 {
            let outcome = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> IOResult in
                    try Descriptor.read(
                        input, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<min(left, raw.count)]))
                }
            }
            guard case .transferred(let count) = try outcome.get(), count > 0 else {
                throw SystemError(call: "read(\(source))", errno: EIO)
            }
            try Descriptor.writeAll(output, buffer[0..<count])
            left -= count
        }
    }

    /// The newest records worth keeping: at most `retained`, and at most
    /// half of ``maximumBytes`` (but always the last one).
    static func newest(_ records: [Range<Int>], retained: Int) -> ArraySlice<Range<Int>> {
        var bytes = 0
        var start = records.endIndex
        while start > records.startIndex, records.endIndex - start < retained {
            bytes += records[start - 1].count + 4
            if bytes > maximumBytes / 2, start < records.endIndex { break }
            start -= 1
        }
        return records[start...]
    }

    /// The whole file in one allocation of its size (the log is read at
    /// start and at each compaction; growing a buffer chunk by chunk would
    /// leave the daemon's heap larger each time).
    static func read(_ path: String) -> Data {
        guard let data = FileManager.default.contents(atPath: path), data.count <= maximumFile else { return Data() }
        return data
    }

    /// The payload ranges of the complete records of `data`, and where the
    /// last complete record ends.
    static func records(in data: Data) -> (records: [Range<Int>], end: Int) {
        let (ranges, end) = FramedRecords.payloads(in: data, maximumLength: maximumRecord)
        return (
            ranges.map { ($0.lowerBound - data.startIndex)..<($0.upperBound - data.startIndex) }, end - data.startIndex
        )
    }
}
