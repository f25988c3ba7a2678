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
/// either). When the file holds twice ``retained`` records, it is rewritten
/// with the newest ``retained``.
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
    /// The envelopes found at open, oldest first, each with its sequence
    /// (until ``takeLoaded()``).
    public private(set) var loaded: [Containerd_Services_Events_V1_Envelope] = []
    private let logger: Logger
    private var descriptor: Int32 = -1
    private var count = 0
    private var size = 0

    /// Opens (or creates) the log at `path`. A torn or damaged tail, which
    /// a crash in the middle of a write can leave, is cut off.
    public init(path: String, retained: Int, logger: Logger) throws(DaemonError) {
        self.path = path
        self.retained = retained
        self.logger = logger
        let data = Self.read(path)
        let (records, end) = Self.records(in: data)
        loaded = Self.newest(records, retained: retained).compactMap {
            try? Containerd_Services_Events_V1_Envelope(serializedBytes: data[$0])
        }
        count = records.count
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

    /// Hands over the envelopes found at open and forgets them (the
    /// exchange keeps them as its history; one copy is enough).
    public func takeLoaded() -> [Containerd_Services_Events_V1_Envelope] {
        defer { loaded = [] }
        return loaded
    }

    deinit {
        if descriptor >= 0 { Descriptor.close(descriptor) }
    }

    /// Appends one envelope's bytes (already carrying its sequence).
    public func append(_ bytes: [UInt8]) {
        var record = Self.lengthPrefix(bytes.count)
        record += bytes
        do {
            try Descriptor.writeAll(descriptor, record)
            count += 1
            size += record.count
        } catch {
            logger.warning("cannot append to the event log", metadata: ["error": "\(error)"])
        }
        if count >= retained * 2 || size >= Self.maximumBytes { compact() }
    }

    /// Rewrites the file with its newest records (see ``newest(_:retained:)``).
    private func compact() {
        let data = Self.read(path)
        let (records, end) = Self.records(in: data)
        let kept = Self.newest(records, retained: retained)
        guard let first = kept.first else { return }
        do {
            try FileSystem.writeAtomically(path, data[(first.lowerBound - 4)..<end], mode: 0o600, durable: false)
            let fresh = try Descriptor.open(path, O_WRONLY | O_APPEND | O_CLOEXEC, mode: 0o600)
            Descriptor.close(descriptor)
            descriptor = fresh
            count = kept.count
            size = end - (first.lowerBound - 4)
        } catch {
            logger.warning("cannot compact the event log", metadata: ["error": "\(error)"])
        }
    }

    private static func lengthPrefix(_ length: Int) -> [UInt8] {
        let value = UInt32(truncatingIfNeeded: length)
        return [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
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
        var records: [Range<Int>] = []
        var index = 0
        while index + 4 <= data.count {
            let start = data.startIndex + index
            let length =
                Int(data[start]) << 24 | Int(data[start + 1]) << 16 | Int(data[start + 2]) << 8 | Int(data[start + 3])
            guard length <= maximumRecord, index + 4 + length <= data.count else { break }
            records.append((index + 4)..<(index + 4 + length))
            index += 4 + length
        }
        return (records, index)
    }
}
