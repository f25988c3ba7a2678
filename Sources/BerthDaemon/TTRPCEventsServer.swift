import BerthAPI
import BerthErrors
import BerthRuntime
import BerthShimProto
import BerthTTRPC
import Logging
import NIOCore
import NIOPosix
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

/// The ttrpc endpoint shims publish to (`TTRPC_ADDRESS`): serves
/// `containerd.services.events.ttrpc.v1.Events/Forward` and relays each
/// envelope, timestamp included, through the ``EventGate`` to subscribers.
///
/// A small NIO server over BerthTTRPC's frame codec. Calls are answered in
/// the order they arrive; anything but Forward is Unimplemented.
public final class TTRPCEventsServer: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Binds `path` (replacing a stale socket file: the caller holds the
    /// daemon lock) and starts serving.
    public static func start(
        path: String,
        gate: EventGate,
        group: MultiThreadedEventLoopGroup,
        logger: Logger
    ) async throws -> TTRPCEventsServer {
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        TTRPCEventsHandler(gate: gate, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
        return TTRPCEventsServer(channel: channel)
    }

    /// Stops accepting connections.
    public func close() async {
        try? await channel.close()
    }
}

/// One shim connection.
final class TTRPCEventsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decoder = TTRPCFrameDecoder(role: .server)
    private let gate: EventGate
    private let logger: Logger

    /// Whether the peer's uid was checked and is ours (as containerd's
    /// `UnixSocketRequireSameUser`): until then nothing is read.
    private var trusted = false

    init(gate: EventGate, logger: Logger) {
        self.gate = gate
        self.logger = logger
    }

    /// `struct ucred`, which Glibc's module hides behind _GNU_SOURCE.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let provider = context.channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        credentials.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let peer) where peer.uid == getuid():
                trusted = true
            case .success(let peer):
                logger.warning("refused an events connection", metadata: ["pid": "\(peer.pid)", "uid": "\(peer.uid)"])
                context.close(promise: nil)
            case .failure(let error):
                logger.warning("refused an events connection: cannot read its credentials: \(error)")
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard trusted else { return }
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        while true {
            let response: TTRPCFrame
            do {
                guard let frame = try decoder.nextFrame() else { break }
                guard frame.type == .request else { continue }
                response = answer(frame)
            } catch {
                guard let streamID = error.streamID else {
                    context.close(promise: nil)
                    return
                }
                guard let frame = try? TTRPCFrame.response(streamID: streamID, TTRPCResponse(error: error)) else {
                    continue
                }
                response = frame
            }
            guard let bytes = try? response.encoded() else { continue }
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        }
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("ttrpc connection error: \(error)")
        context.close(promise: nil)
    }

    /// The response frame for one request frame.
    private func answer(_ frame: TTRPCFrame) -> TTRPCFrame {
        let result: TTRPCResponse
        do {
            let request = try frame.decodeRequest()
            result = TTRPCResponse(payload: try handle(request, streamID: frame.streamID))
        } catch let error as TTRPCError {
            result = TTRPCResponse(error: error)
        } catch let error as any BerthError {
            result = TTRPCResponse(error: TTRPCError(code: error.code, message: error.message))
        } catch {
            result = TTRPCResponse(error: TTRPCError(code: .unknown, message: "\(error)"))
        }
        do {
            return try TTRPCFrame.response(streamID: frame.streamID, result)
        } catch {
            return TTRPCFrame(streamID: frame.streamID, type: .response, payload: [])
        }
    }

    private func handle(_ request: TTRPCRequest, streamID: UInt32) throws -> [UInt8] {
        guard request.service == BerthShimProto.EventsService.name else {
            throw TTRPCError(code: .notImplemented, message: "service \(request.service)")
        }
        guard request.method == BerthShimProto.EventsService.Method.forward.rawValue else {
            throw TTRPCError(code: .notImplemented, message: "method \(request.method)")
        }
        let forward: Containerd_Services_Events_Ttrpc_V1_ForwardRequest
        do {
            forward = try Containerd_Services_Events_Ttrpc_V1_ForwardRequest(serializedBytes: request.payload)
        } catch {
            throw TTRPCError(code: .invalidArgument, message: "unmarshal ForwardRequest: \(error)")
        }
        var envelope = EventExchange.Envelope()
        envelope.timestamp = forward.envelope.timestamp
        envelope.namespace = forward.envelope.namespace
        envelope.topic = forward.envelope.topic
        envelope.event = forward.envelope.event
        try EventExchange.validate(envelope)
        // Task events pass the gate: Berth's shims number them, and a
        // retried or replayed event goes out once.
        let sequence = request.metadataValues(JournalService.sequenceMetadataKey).first.flatMap { UInt64($0) }
        let taskID = request.metadataValues(JournalService.taskIDMetadataKey).first
        gate.forward(forward.envelope, taskID: taskID, sequence: sequence)
        return try Google_Protobuf_Empty().serializedBytes()
    }
}
