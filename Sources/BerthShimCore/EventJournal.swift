import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The bounded, append-only journal of a task's events (Berth extension):
/// `<bundle>/events.journal`.
///
/// Each record is a 4-byte big-endian length and a serialized
/// `berth.shim.v1.JournalEvent` (sequence + envelope). Records are appended
/// before the event is forwarded. When the journal holds more than
/// ``maximumEvents`` records or ``maximumBytes`` bytes, the oldest half is
/// dropped (acknowledged or not: `ReplayResponse.first_retained` then tells
/// the daemon it must reconcile). An `Ack` drops the acknowledged prefix.
/// The file is not fsynced per event: it survives a crash of the shim or of
/// the daemon, which is what it is for; after a host crash the containers
/// are gone too.
///
/// Nothing but counters is kept in memory; `Replay` reads the file.
final class EventJournal {
    static let fileName = "events.journal"
    static let maximumEvents = 1024
    static let maximumBytes = 256 << 10

    let path: String
    private let logger: Logger
    /// The highest sequence assigned (0 before the first event).
    private(set) var lastSequence: UInt64 = 0
    /// The lowest sequence still in the file (`lastSequence + 1` when empty).
    private(set) var firstRetained: UInt64 = 1
    private(set) var acknowledged: UInt64 = 0
    private var count = 0
    private var size = 0

    /// Opens the journal in `bundle`, continuing the numbering of an
    /// existing file.
    init(bundle: String, logger: Logger) {
        self.path = FileSystem.join(bundle, Self.fileName)
        self.logger = logger
        let records = Self.records(in: FileSystem.read(path, limit: Self.maximumBytes * 4) ?? [])
        count = records.count
        size = records.reduce(0) { $0 + $1.range.count }
        if let first = records.first, let last = records.last {
            firstRetained = first.sequence
            lastSequence = last.sequence
        }
    }

    /// Assigns the next sequence to `envelope` and appends it. Returns the sequence.
    func append(_ envelope: EventEnvelope) -> UInt64 {
        lastSequence += 1
        if count == 0 { firstRetained = lastSequence }
        var event = Berth_Shim_V1_JournalEvent()
        event.sequence = lastSequence
        event.envelope = envelope
        guard let bytes: [UInt8] = try? event.serializedBytes() else { return lastSequence }
        let record = FramedRecords.frame(bytes)
        do {
            let fd = try Descriptor.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
            defer { Descriptor.close(fd) }
            try Descriptor.writeAll(fd, record)
            count += 1
            size += record.count
        } catch {
            logger.warning("cannot append to the event journal", metadata: ["error": "\(error)"])
        }
        if count > Self.maximumEvents || size > Self.maximumBytes {
            let data = FileSystem.read(path, limit: size + 4096) ?? []
            let all = Self.records(in: data)
            let dropped = all.count / 2
            logger.warning("event journal full; dropping the oldest events", metadata: ["dropped": "\(dropped)"])
            rewrite(data, all.dropFirst(dropped))
        }
        return lastSequence
    }

    /// Events after `afterSequence`, oldest first, at most `limit`.
    func events(after afterSequence: UInt64, limit: Int) -> [Berth_Shim_V1_JournalEvent] {
        var result: [Berth_Shim_V1_JournalEvent] = []
        let data = FileSystem.read(path, limit: size + 4096) ?? []
        for record in Self.records(in: data) where record.sequence > afterSequence {
            guard result.count < limit else { break }
            if let event = try? Berth_Shim_V1_JournalEvent(serializedBytes: data[record.payload]) {
                result.append(event)
            }
        }
        return result
    }

    /// Marks every event up to `sequence` handled and drops them.
    func acknowledge(through sequence: UInt64) {
        let sequence = min(sequence, lastSequence)
        guard sequence > acknowledged else { return }
        acknowledged = sequence
        let data = FileSystem.read(path, limit: size + 4096) ?? []
        let all = Self.records(in: data)
        rewrite(data, all.drop { $0.sequence <= sequence })
        if count == 0 { firstRetained = lastSequence + 1 }
    }

    /// Keeps `records` (a suffix of the records of `data`, which are contiguous).
    private func rewrite(_ data: [UInt8], _ records: ArraySlice<Record>) {
        let start = records.first?.range.lowerBound ?? data.count
        do {
            // Like the appends, not fsynced (see the type's comment).
            try FileSystem.writeAtomically(path, data[start...], mode: 0o600, durable: false)
            count = records.count
            size = data.count - start
            firstRetained = records.first?.sequence ?? lastSequence + 1
        } catch {
            logger.warning("cannot rewrite the event journal", metadata: ["error": "\(error)"])
        }
        ProcessControl.releaseFreeMemory()
    }

    /// One record of a journal file: its sequence and where its bytes are.
    struct Record {
        var sequence: UInt64
        /// The whole record, length prefix included.
        var range: Range<Int>
        /// The serialized `JournalEvent`.
        var payload: Range<Int> { (range.lowerBound + 4)..<range.upperBound }
    }

    /// The records of a journal file; a torn last record is ignored. Offsets,
    /// not copies: compaction must not scatter small allocations on the heap.
    static func records(in data: [UInt8]) -> [Record] {
        FramedRecords.payloads(in: data).ranges.compactMap { payload in
            sequenceOf(data[payload]).map {
                Record(sequence: $0, range: (payload.lowerBound - FramedRecords.prefixSize)..<payload.upperBound)
            }
        }
    }

    /// Reads field 1 (`sequence`, a varint) of a serialized `JournalEvent`
    /// without decoding the envelope.
    private static func sequenceOf(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var index = bytes.startIndex
        guard index < bytes.endIndex, bytes[index] == 0x08 else { return nil }
        index += 1
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex, shift < 64 {
            let byte = bytes[index]
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            index += 1
        }
        return nil
    }
}
