/// One ttrpc message on the wire: a 10-byte header and a payload.
///
/// The header is the payload length (u32, big-endian), the stream id (u32,
/// big-endian), the message type (one byte) and flags (one byte, 0 in ttrpc
/// v1.1.1). The payload is a serialized ``TTRPCRequest`` or
/// ``TTRPCResponse``. This is a value type with no I/O: the socket loop feeds
/// bytes to a ``TTRPCFrameDecoder`` and writes ``encoded()``.
public struct TTRPCFrame: Hashable, Sendable {
    /// The header length in bytes.
    public static let headerLength = 10
    /// The largest payload ttrpc accepts: 4 MiB.
    public static let maxPayloadLength = 4 << 20

    /// Identifies the call: clients number requests 1, 3, 5, … and the
    /// response carries the request's id.
    public var streamID: UInt32
    /// Request or response.
    public var type: MessageType
    /// Reserved; 0 in ttrpc v1.1.1.
    public var flags: UInt8
    /// The serialized request or response.
    public var payload: [UInt8]

    /// Makes a frame.
    public init(streamID: UInt32, type: MessageType, flags: UInt8 = 0, payload: [UInt8]) {
        self.streamID = streamID
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    /// The frame's message type. Open: a type this build does not know is
    /// kept, and a server ignores it, as ttrpc does for forward compatibility.
    public struct MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt8

        public init(rawValue: UInt8) {
            self.rawValue = rawValue
        }

        /// A client's call (payload: ``TTRPCRequest``).
        public static let request = MessageType(rawValue: 1)
        /// A server's answer (payload: ``TTRPCResponse``).
        public static let response = MessageType(rawValue: 2)

        public var description: String {
            switch rawValue {
            case 1: "request"
            case 2: "response"
            default: "type \(rawValue)"
            }
        }
    }
}
