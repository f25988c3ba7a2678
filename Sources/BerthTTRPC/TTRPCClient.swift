import BerthErrors
import BerthSystem

/// A ttrpc client on a unix socket, driven by an ``EventLoop``.
///
/// Calls are numbered 1, 3, 5, …, may be in flight together, and complete
/// with the response payload or an error: the peer's status, `deadlineExceeded`
/// after the timeout, or `unavailable` when the connection is lost.
public final class TTRPCClient {
    /// Completes one call.
    public typealias Completion = (Result<[UInt8], TTRPCError>) -> Void

    private unowned let loop: EventLoop
    /// The socket path dialled.
    public let path: String
    private var connection: TTRPCConnection?
    private var nextStreamID: UInt32 = 1
    private var pending: [UInt32: (completion: Completion, timer: EventLoop.TimerID?)] = [:]

    /// A client for the server at `path`; it dials on the first call.
    public init(loop: EventLoop, path: String) {
        self.loop = loop
        self.path = path
    }

    /// Whether a connection is open.
    public var isConnected: Bool { connection.map { !$0.isClosed } ?? false }

    /// Calls `service`/`method` with a serialized request. Connects first if
    /// needed. `completion` always runs exactly once, on the loop.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        metadata: [(key: String, value: String)] = [],
        timeoutMilliseconds: Int64 = 0,
        completion: @escaping Completion
    ) {
        let connection: TTRPCConnection
        do {
            connection = try connected()
        } catch {
            let failure = TTRPCError(code: error.code, message: "ttrpc: dial \(path): \(error.message)")
            loop.execute { completion(.failure(failure)) }
            return
        }
        let streamID = nextStreamID
        nextStreamID &+= 2
        let request = TTRPCRequest(
            service: service, method: method, payload: payload,
            timeoutNanoseconds: timeoutMilliseconds * 1_000_000, metadata: metadata)
        var timer: EventLoop.TimerID?
        if timeoutMilliseconds > 0 {
            timer = loop.schedule(afterMilliseconds: timeoutMilliseconds) { [weak self] in
                self?.complete(
                    streamID,
                    .failure(TTRPCError(code: .deadlineExceeded, message: "context deadline exceeded")))
            }
        }
        pending[streamID] = (completion, timer)
        do {
            try connection.send(.request(streamID: streamID, request))
        } catch {
            complete(streamID, .failure(error))
        }
    }

    /// Closes the connection; calls in flight fail with `unavailable`.
    public func close() {
        connection?.close()
        connection = nil
    }

    private func connected() throws(SystemError) -> TTRPCConnection {
        if let connection, !connection.isClosed { return connection }
        let fd = try UnixSocket.connect(path: path)
        let connection = TTRPCConnection(descriptor: fd, loop: loop, role: .client)
        connection.onFrame = { [unowned self] frame in
            guard frame.type == .response else { return }
            switch Result(catching: { () throws(TTRPCError) in try frame.decodeResponse() }) {
            case .success(let response): self.complete(frame.streamID, response.result(streamID: frame.streamID))
            case .failure(let error): self.complete(frame.streamID, .failure(error))
            }
        }
        connection.onClose = { [unowned self, unowned connection] in
            if self.connection === connection { self.connection = nil }
            self.failAll(TTRPCError(code: .unavailable, message: "ttrpc: closed"))
        }
        do {
            try connection.start()
        } catch {
            connection.close()
            throw error
        }
        self.connection = connection
        return connection
    }

    private func complete(_ streamID: UInt32, _ result: Result<[UInt8], TTRPCError>) {
        guard let entry = pending.removeValue(forKey: streamID) else { return }
        if let timer = entry.timer { loop.cancel(timer) }
        entry.completion(result)
    }

    private func failAll(_ error: TTRPCError) {
        for streamID in pending.keys.sorted() {
            complete(streamID, .failure(error))
        }
    }
}
