import Logging

#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOPosix

/// Copies a shim's `log` FIFO into the daemon's log, line by line, with the
/// task's namespace and id. The FIFO is opened read-write so it never reports
/// end-of-file while shims come and go; ``close()`` ends the copy.
final class ShimLog: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Starts copying from `descriptor` (owned from now on).
    static func start(descriptor: Int32, bundle: TaskBundle, logger: Logger) async -> ShimLog? {
        var logger = logger
        logger[metadataKey: "namespace"] = "\(bundle.namespace)"
        logger[metadataKey: "id"] = "\(bundle.id)"
        let lineLogger = logger
        do {
            let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ShimLogHandler(logger: lineLogger))
                    }
                }
                .takingOwnershipOfDescriptor(input: descriptor)
                .get()
            return ShimLog(channel: channel)
        } catch {
            logger.warning("cannot read the shim log: \(error)")
            _ = Glibc.close(descriptor)
            return nil
        }
    }

    /// Stops copying and closes the FIFO.
    func close() {
        channel.close(promise: nil)
    }
}

/// Splits the FIFO's bytes into lines and logs each at debug level (the
/// shim's own levels are inside the line).
final class ShimLogHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var partial: [UInt8] = []
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                if !partial.isEmpty { logger.debug("shim: \(String(decoding: partial, as: UTF8.self))") }
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < 16 << 10 {
                partial.append(byte)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
