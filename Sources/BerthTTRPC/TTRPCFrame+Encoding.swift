extension TTRPCFrame {
    /// The frame as bytes: header then payload.
    ///
    /// - Throws: `resourceExhausted` if the payload is longer than
    ///   ``maxPayloadLength``, which the peer would discard.
    public func encoded() throws(TTRPCError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return bytes
    }

    /// Appends the frame's bytes to `buffer`, so several frames can share
    /// one write.
    ///
    /// - Throws: `resourceExhausted` if the payload is longer than
    ///   ``maxPayloadLength``; `buffer` is then unchanged.
    public func encode(into buffer: inout [UInt8]) throws(TTRPCError) {
        guard payload.count <= Self.maxPayloadLength else {
            throw .oversized(
                length: UInt32(clamping: payload.count), maximum: Self.maxPayloadLength, streamID: streamID)
        }
        buffer.reserveCapacity(buffer.count + Self.headerLength + payload.count)
        buffer.appendBigEndian(UInt32(payload.count))
        buffer.appendBigEndian(streamID)
        buffer.append(type.rawValue)
        buffer.append(flags)
        buffer.append(contentsOf: payload)
    }
}

extension TTRPCFrame {
    /// A parsed frame header.
    public struct Header: Hashable, Sendable {
        /// The payload length that follows the header.
        public var length: UInt32
        public var streamID: UInt32
        public var type: MessageType
        public var flags: UInt8

        /// Parses the first ``TTRPCFrame/headerLength`` bytes of `bytes`, or
        /// returns `nil` if there are fewer.
        public init?(_ bytes: some Collection<UInt8>) {
            let header = Array(bytes.prefix(TTRPCFrame.headerLength))
            guard header.count == TTRPCFrame.headerLength else { return nil }
            length = Self.bigEndianUInt32(header[0..<4])
            streamID = Self.bigEndianUInt32(header[4..<8])
            type = MessageType(rawValue: header[8])
            flags = header[9]
        }

        /// Makes a header.
        public init(length: UInt32, streamID: UInt32, type: MessageType, flags: UInt8 = 0) {
            self.length = length
            self.streamID = streamID
            self.type = type
            self.flags = flags
        }

        private static func bigEndianUInt32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            bytes.reduce(0) { $0 << 8 | UInt32($1) }
        }
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
