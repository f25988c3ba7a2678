import BerthErrors
import BerthTTRPC
import NIOCore

/// The channel handler of a ``ShimConnection``: numbers requests, decodes
/// response frames and completes the matching promise. Lives on its
/// channel's event loop.
final class ShimResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decoder = TTRPCFrameDecoder(role: .client)
    private var context: ChannelHandlerContext?
    private var nextStreamID: UInt32 = 1
    private var pending: [UInt32: (promise: EventLoopPromise<[UInt8]>, timer: Scheduled<Void>?)] = [:]
    private var closed = false
    private let onClose: @Sendable () -> Void

    init(onClose: @escaping @Sendable () -> Void) {
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ request: TTRPCRequest, timeoutMilliseconds: Int64, promise: EventLoopPromise<[UInt8]>) {
        guard let context, !closed else {
            promise.fail(TTRPCError(code: .unavailable, message: "ttrpc: closed"))
            return
        }
        let streamID = nextStreamID
        nextStreamID &+= 2
        let bytes: [UInt8]
        do {
            bytes = try TTRPCFrame.request(streamID: streamID, request).encoded()
        } catch {
            promise.fail(error)
            return
        }
        var timer: Scheduled<Void>?
        if timeoutMilliseconds > 0 {
            timer = context.eventLoop.scheduleTask(in: .milliseconds(timeoutMilliseconds)) { [weak self] in
                self?.complete(
                    streamID, .failure(TTRPCError(code: .deadlineExceeded, message: "context deadline exceeded")))
            }
        }
        pending[streamID] = (promise, timer)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        decoder.append(unwrapInboundIn(data).readableBytesView)
        while true {
            do {
                guard let frame = try decoder.nextFrame() else { return }
                guard frame.type == .response else { continue }
                let response = try frame.decodeResponse()
                complete(frame.streamID, response.result(streamID: frame.streamID))
            } catch {
                if let streamID = error.streamID {
                    complete(streamID, .failure(error))
                } else {
                    context.close(promise: nil)
                    return
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        let failed = pending
        pending.removeAll()
        for (_, call) in failed {
            call.timer?.cancel()
            call.promise.fail(TTRPCError(code: .unavailable, message: "ttrpc: connection closed"))
        }
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func complete(_ streamID: UInt32, _ result: Result<[UInt8], TTRPCError>) {
        guard let call = pending.removeValue(forKey: streamID) else { return }
        call.timer?.cancel()
        switch result {
        case .success(let payload): call.promise.succeed(payload)
        case .failure(let error): call.promise.fail(error)
        }
    }
}
