import SwiftProtobuf

extension TTRPCFrame {
    /// A request frame carrying `request`.
    public static func request(streamID: UInt32, _ request: TTRPCRequest) throws(TTRPCError) -> TTRPCFrame {
        TTRPCFrame(streamID: streamID, type: .request, payload: try serialize(request, "request"))
    }

    /// A response frame carrying `response`.
    public static func response(streamID: UInt32, _ response: TTRPCResponse) throws(TTRPCError) -> TTRPCFrame {
        TTRPCFrame(streamID: streamID, type: .response, payload: try serialize(response, "response"))
    }

    /// The request this frame carries.
    ///
    /// - Throws: `invalidArgument` on this stream if the payload is not a
    ///   request (ttrpc answers "unmarshal request error").
    public func decodeRequest() throws(TTRPCError) -> TTRPCRequest {
        try deserialize("request")
    }

    /// The response this frame carries.
    public func decodeResponse() throws(TTRPCError) -> TTRPCResponse {
        try deserialize("response")
    }

    private static func serialize(_ message: some Message, _ what: String) throws(TTRPCError) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw .unencodable(what, reason: "\(error)")
        }
    }

    private func deserialize<M: Message>(_ what: String) throws(TTRPCError) -> M {
        do {
            return try M(serializedBytes: payload)
        } catch {
            throw .malformed(what, streamID: streamID, reason: "\(error)")
        }
    }
}
