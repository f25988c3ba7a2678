import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Berth's event sequence number on `Events.Subscribe` envelopes.
///
/// berthd numbers every event it publishes (1, 2, … for as long as its state
/// directory lives, across daemon restarts) and sends the number with each
/// envelope as field 1000, a varint. containerd's `Envelope` has no such
/// field, so containerd clients skip it as an unknown field; the message
/// definition itself stays containerd's. A client resumes after a
/// disconnect with the `berth-events-since` header set to the last number
/// it saw, and gets every later event exactly once.
extension Containerd_Services_Events_V1_Envelope {
    /// The field number that carries the sequence.
    public static let sequenceFieldNumber = 1000

    /// The sequence number berthd gave this envelope, if it carries one.
    public var berthSequence: UInt64? {
        Self.varintField(Self.sequenceFieldNumber, in: Array(unknownFields.data))
    }

    /// This envelope's bytes with `sequence` appended as field 1000 (any
    /// earlier sequence is dropped first). Decoding them gives the envelope
    /// with ``berthSequence`` set.
    public func serializedBytes(sequence: UInt64) throws -> [UInt8] {
        var plain = self
        plain.unknownFields = UnknownStorage()
        var bytes: [UInt8] = try plain.serializedBytes()
        Self.appendVarint(UInt64(Self.sequenceFieldNumber << 3), to: &bytes)
        Self.appendVarint(sequence, to: &bytes)
        return bytes
    }

    /// The same envelope with its sequence number set.
    public func withBerthSequence(_ sequence: UInt64) throws -> Self {
        try Self(serializedBytes: serializedBytes(sequence: sequence))
    }

    /// The envelope without Berth's sequence (the bytes a shim sent).
    public var withoutBerthSequence: Self {
        var plain = self
        plain.unknownFields = UnknownStorage()
        return plain
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Reads a varint at `index`, advancing it; nil if truncated.
    static func readVarint(_ bytes: [UInt8], _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The last value of varint field `number` in a run of encoded fields;
    /// nil if absent or if the bytes are malformed.
    static func varintField(_ number: Int, in bytes: [UInt8]) -> UInt64? {
        var index = 0
        var found: UInt64?
        while index < bytes.count {
            guard let key = readVarint(bytes, &index) else { return nil }
            let field = Int(truncatingIfNeeded: key >> 3)
            switch key & 7 {
            case 0:
                guard let value = readVarint(bytes, &index) else { return nil }
                if field == number { found = value }
            case 1: index += 8
            case 2:
                guard let length = readVarint(bytes, &index), length <= UInt64(bytes.count - index) else { return nil }
                index += Int(length)
            case 5: index += 4
            default: return nil
            }
        }
        return index == bytes.count ? found : nil
    }
}
