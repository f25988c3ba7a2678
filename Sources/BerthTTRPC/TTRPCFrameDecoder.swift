/// Splits a ttrpc byte stream into frames.
///
/// Feed it whatever the socket returned, in chunks of any size, with
/// ``append(_:)``, then call ``nextFrame()`` until it returns `nil`:
///
/// ```swift
/// decoder.append(chunk)
/// while true {
///     do {
///         guard let frame = try decoder.nextFrame() else { break }
///         handle(frame)
///     } catch {
///         answer(error.streamID, error.status)  // the decoder stays usable
///     }
/// }
/// ```
///
/// It behaves like ttrpc v1.1.1's receiver:
/// - A header announcing more than ``maxPayloadLength`` bytes throws
///   `resourceExhausted` naming the length and stream; the payload is then
///   discarded as it arrives, without being buffered, and decoding resumes
///   with the frame after it.
/// - In the ``Role/server`` role, a request on an even stream id is consumed
///   and throws `invalidArgument` for that stream (clients use odd ids).
/// - Frames of any message type are returned; a server ignores types other
///   than requests, for forward compatibility.
public struct TTRPCFrameDecoder: Sendable {
    /// Which end of the connection decodes.
    public enum Role: Sendable {
        /// Decodes a client's requests; rejects even stream ids.
        case server
        /// Decodes a server's responses.
        case client
    }

    /// Which end of the connection this decoder serves.
    public let role: Role
    /// The largest payload accepted.
    public let maxPayloadLength: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var discardRemaining = 0

    /// Capacity kept after the buffer empties; more is released, so one big
    /// message does not pin memory in a long-lived process.
    private static let retainedCapacity = 64 << 10

    /// Makes a decoder for one connection.
    public init(role: Role, maxPayloadLength: Int = TTRPCFrame.maxPayloadLength) {
        self.role = role
        self.maxPayloadLength = maxPayloadLength
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Bytes of an oversized payload still to be dropped as they arrive.
    public var pendingDiscardCount: Int { discardRemaining }

    /// Adds received bytes. Bytes of an oversized payload are dropped here.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        var incoming = bytes[...]
        if discardRemaining > 0 {
            let dropped = min(discardRemaining, incoming.count)
            incoming = incoming.dropFirst(dropped)
            discardRemaining -= dropped
        }
        guard !incoming.isEmpty else { return }
        compact()
        buffer.append(contentsOf: incoming)
    }

    /// Returns the next complete frame, or `nil` if more bytes are needed.
    ///
    /// - Throws: a ``TTRPCError`` with the offending stream id; the frame is
    ///   consumed (or being discarded) and the next call continues after it.
    public mutating func nextFrame() throws(TTRPCError) -> TTRPCFrame? {
        guard let header = TTRPCFrame.Header(buffer[readIndex...]) else { return nil }
        let length = Int(header.length)
        let payloadStart = readIndex + TTRPCFrame.headerLength

        if length > maxPayloadLength {
            let available = min(buffer.count - payloadStart, length)
            readIndex = payloadStart + available
            discardRemaining = length - available
            compact()
            throw .oversized(length: header.length, maximum: maxPayloadLength, streamID: header.streamID)
        }

        guard buffer.count - payloadStart >= length else { return nil }
        let payload = Array(buffer[payloadStart..<payloadStart + length])
        readIndex = payloadStart + length
        compact()

        if role == .server, header.type == .request, header.streamID % 2 == 0 {
            throw .evenStreamID(header.streamID)
        }
        return TTRPCFrame(streamID: header.streamID, type: header.type, flags: header.flags, payload: payload)
    }

    /// Drops consumed bytes once they are all or most of the buffer.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        } else if readIndex >= 4096, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
