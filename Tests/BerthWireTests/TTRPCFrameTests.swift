import BerthErrors
import BerthShimProto
import BerthTTRPC
import Foundation
import SwiftProtobuf
import Testing

/// Golden bytes and round trips for the ttrpc frame codec.
struct TTRPCFrameTests {
    /// containerd-api.md §6.4: daemon → shim `Connect{id: "api-s1"}` on
    /// stream 3, as strace saw it.
    static let connectGolden: [UInt8] =
        [0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00]
        + [0x0a, 0x17] + Array("containerd.task.v2.Task".utf8)
        + [0x12, 0x07] + Array("Connect".utf8)
        + [0x1a, 0x08, 0x0a, 0x06] + Array("api-s1".utf8)

    static func connectRequest() throws -> TTRPCRequest {
        var connect = Containerd_Task_V2_ConnectRequest()
        connect.id = "api-s1"
        return TTRPCRequest(
            service: TaskService.name,
            method: TaskService.Method.connect.rawValue,
            payload: try connect.serializedBytes()
        )
    }

    @Test func encodesTheStraceExampleExactly() throws {
        let frame = try TTRPCFrame.request(streamID: 3, Self.connectRequest())
        #expect(try frame.encoded() == Self.connectGolden)
    }

    @Test func decodesTheStraceExample() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        decoder.append(Self.connectGolden)
        let frame = try #require(try decoder.nextFrame())
        #expect(frame.streamID == 3)
        #expect(frame.type == .request)
        #expect(frame.flags == 0)
        let request = try frame.decodeRequest()
        #expect(request.service == "containerd.task.v2.Task")
        #expect(request.method == "Connect")
        #expect(request.timeoutNano == 0)
        #expect(request.metadata.isEmpty)
        #expect(try Containerd_Task_V2_ConnectRequest(serializedBytes: request.payload).id == "api-s1")
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func headerLayout() throws {
        let frame = TTRPCFrame(streamID: 0x0102_0304, type: .response, flags: 0x7, payload: [0xaa, 0xbb])
        let bytes = try frame.encoded()
        #expect(bytes == [0, 0, 0, 2, 1, 2, 3, 4, 2, 7, 0xaa, 0xbb])
        let header = try #require(TTRPCFrame.Header(bytes))
        #expect(header == TTRPCFrame.Header(length: 2, streamID: 0x0102_0304, type: .response, flags: 7))
        #expect(TTRPCFrame.Header(bytes.prefix(9)) == nil)
    }

    @Test func encodeIntoAppends() throws {
        var buffer: [UInt8] = [9]
        try TTRPCFrame(streamID: 1, type: .request, payload: []).encode(into: &buffer)
        #expect(buffer == [9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0])
    }

    @Test func refusesToEncodeAnOversizedPayload() {
        let frame = TTRPCFrame(
            streamID: 9, type: .response, payload: [UInt8](repeating: 0, count: TTRPCFrame.maxPayloadLength + 1)
        )
        do {
            _ = try frame.encoded()
            Issue.record("encoded an oversized frame")
        } catch {
            #expect(error.code == .resourceExhausted)
            #expect(error.streamID == 9)
            #expect(error.message.contains("\(TTRPCFrame.maxPayloadLength + 1)"))
        }
    }

    @Test func requestWithTimeoutAndMetadataRoundTrips() throws {
        let request = TTRPCRequest(
            service: "containerd.task.v2.Task",
            method: "Kill",
            payload: [1, 2, 3],
            timeoutNanoseconds: 5_000_000_000,
            metadata: [("containerd-namespace-ttrpc", "default"), ("k", "a"), ("k", "b")]
        )
        let frame = try TTRPCFrame.request(streamID: 5, request)
        let decoded = try frame.decodeRequest()
        #expect(decoded == request)
        #expect(decoded.namespace == "default")
        #expect(decoded.metadataValues("k") == ["a", "b"])
        #expect(decoded.timeoutNano == 5_000_000_000)
    }

    @Test func successfulResponse() throws {
        var answer = Containerd_Task_V2_ConnectResponse()
        answer.shimPid = 10
        answer.taskPid = 11
        let frame = try TTRPCFrame.response(streamID: 3, TTRPCResponse(payload: try answer.serializedBytes()))
        #expect(frame.type == .response)
        let payload = try frame.decodeResponse().result(streamID: frame.streamID).get()
        #expect(try Containerd_Task_V2_ConnectResponse(serializedBytes: payload) == answer)
    }

    @Test func errorResponseCarriesTheStatus() throws {
        let sent = TTRPCError(code: .notFound, message: "process already finished")
        let frame = try TTRPCFrame.response(streamID: 7, TTRPCResponse(error: sent))
        // Response{status: Status{code: 5, message: …}}
        #expect(Array(frame.payload.prefix(4)) == [0x0a, UInt8(2 + 2 + sent.message.utf8.count), 0x08, 0x05])
        switch try frame.decodeResponse().result(streamID: 7) {
        case .success: Issue.record("error became success")
        case .failure(let received):
            #expect(received == TTRPCError(code: .notFound, message: "process already finished", streamID: 7))
            #expect(received.description == "not found: process already finished")
        }
    }

    @Test func statusZeroIsSuccess() throws {
        var response = TTRPCResponse(payload: [4])
        response.status = TTRPCStatus()
        #expect(try response.result().get() == [4])
    }

    @Test func malformedRequestPayloadIsInvalidArgumentOnItsStream() {
        let frame = TTRPCFrame(streamID: 11, type: .request, payload: [0x0a, 0x10, 0x41])
        do {
            _ = try frame.decodeRequest()
            Issue.record("decoded a truncated request")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.streamID == 11)
            #expect(error.message.hasPrefix("unmarshal request error"))
        }
    }

    @Test(arguments: ErrorCode.all)
    func statusCodesMapOneToOne(_ code: ErrorCode) {
        let error = TTRPCError(code: code, message: "m")
        #expect(error.status.code == Int32(code.grpcStatus))
        #expect(TTRPCError(status: error.status).code == code)
    }

    @Test func unknownStatusCodeIsUnknown() {
        var status = TTRPCStatus()
        status.code = 99
        status.message = "from the future"
        #expect(TTRPCError(status: status).code == .unknown)
    }
}
