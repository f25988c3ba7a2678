import BerthErrors
import BerthTTRPC
import Logging
import NIOCore
import NIOPosix

/// A ttrpc client connection from the daemon to one shim's socket, on NIO.
///
/// Calls are multiplexed (stream ids 1, 3, 5, …) and complete in any order;
/// a call with no timeout (Wait) may stay open for the container's life.
/// When the connection drops, calls in flight fail with `unavailable` and
/// `onClose` runs once: the task manager uses it to notice a dead shim.
public final class ShimConnection: Sendable {
    /// The socket path dialled.
    public let path: String
    private let channel: any Channel
    private let handler: NIOLoopBound<ShimResponseHandler>

    private init(path: String, channel: any Channel, handler: NIOLoopBound<ShimResponseHandler>) {
        self.path = path
        self.channel = channel
        self.handler = handler
    }

    /// Dials `path` (a socket path or a `unix://` address).
    ///
    /// - Parameter onClose: runs once on an event loop when the connection
    ///   ends for any reason, including ``close()``.
    /// - Throws: `unavailable` if nothing answers at `path`.
    public static func connect(
        address: String,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onClose: @escaping @Sendable () -> Void = {}
    ) async throws(RuntimeError) -> ShimConnection {
        let path = socketPath(address)
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(unixDomainSocketPath: path)
                .get()
            let handler = try await channel.eventLoop.submit {
                let handler = ShimResponseHandler(onClose: onClose)
                try channel.pipeline.syncOperations.addHandler(handler)
                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
            }.get()
            return ShimConnection(path: path, channel: channel, handler: handler)
        } catch {
            throw .unavailable("connect to shim at \(path): \(error)")
        }
    }

    /// Calls `service`/`method` with a serialized request and returns the
    /// serialized response.
    ///
    /// - Parameter timeoutMilliseconds: 0 waits as long as it takes.
    /// - Throws: the shim's status as a `TTRPCError`; `deadlineExceeded`;
    ///   `unavailable` when the connection is lost.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        metadata: [(key: String, value: String)],
        timeoutMilliseconds: Int64
    ) async throws(TTRPCError) -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let request = TTRPCRequest(
            service: service, method: method, payload: payload,
            timeoutNanoseconds: timeoutMilliseconds * 1_000_000, metadata: metadata)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.send(request, timeoutMilliseconds: timeoutMilliseconds, promise: promise)
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as TTRPCError {
            throw error
        } catch {
            throw TTRPCError(code: .unavailable, message: "ttrpc \(method): \(error)")
        }
    }

    /// The socket path of a shim address (`unix://PATH` or a bare path).
    public static func socketPath(_ address: String) -> String {
        address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    }

    /// Closes the connection; calls in flight fail with `unavailable`.
    public func close() {
        channel.close(promise: nil)
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }
}
