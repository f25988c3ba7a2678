import BerthErrors
import BerthSystem
import SwiftProtobuf

/// Answers one ttrpc call, now or later (a `Wait` is answered at exit).
///
/// Answering after the connection closed does nothing.
public struct TTRPCResponder {
    private weak var connection: TTRPCConnection?
    /// The call's stream id.
    public let streamID: UInt32

    init(connection: TTRPCConnection, streamID: UInt32) {
        self.connection = connection
        self.streamID = streamID
    }

    /// Whether the caller is still connected.
    public var isConnected: Bool { connection.map { !$0.isClosed } ?? false }

    /// Answers with `message`.
    public func succeed(_ message: some Message) {
        do {
            succeed(payload: try message.serializedBytes())
        } catch {
            fail(.unencodable(type(of: message).protoMessageName, reason: "\(error)"))
        }
    }

    /// Answers with a serialized message.
    public func succeed(payload: [UInt8]) {
        send(TTRPCResponse(payload: payload))
    }

    /// Answers with an error status.
    public func fail(_ error: TTRPCError) {
        send(TTRPCResponse(error: error))
    }

    private func send(_ response: TTRPCResponse) {
        guard let connection, !connection.isClosed else { return }
        do {
            try connection.send(.response(streamID: streamID, response))
        } catch {
            try? connection.send(.response(streamID: streamID, TTRPCResponse(error: error)))
        }
    }
}

/// A ttrpc server on a listening unix socket, driven by an ``EventLoop``.
///
/// Methods are registered by service and method name; each handler gets the
/// request and a ``TTRPCResponder``. Unknown methods are answered with
/// `Unimplemented`, as ttrpc does.
public final class TTRPCServer {
    /// Handles one call.
    public typealias Handler = (TTRPCRequest, TTRPCResponder) -> Void

    private unowned let loop: EventLoop
    private let listener: Int32
    private var handlers: [String: Handler] = [:]
    private var connections: [Int32: TTRPCConnection] = [:]
    private let allowedUID: UInt32?
    private var listening = false

    /// Called with a description of each dropped connection or bad frame.
    public var onProblem: (String) -> Void = { _ in }

    /// A server on the listening socket `listener`, which it owns.
    /// `allowedUID`, when set, refuses peers of another uid (containerd's
    /// `UnixSocketRequireSameUser`).
    public init(loop: EventLoop, listener: Int32, allowedUID: UInt32? = nil) {
        self.loop = loop
        self.listener = listener
        self.allowedUID = allowedUID
    }

    /// Registers `handler` for `service`/`method`.
    public func register(service: String, method: String, handler: @escaping Handler) {
        handlers[service + "/" + method] = handler
    }

    /// The number of open connections.
    public var connectionCount: Int { connections.count }

    /// Starts accepting connections.
    public func start() throws(SystemError) {
        try Descriptor.setNonBlocking(listener)
        try loop.register(listener, for: .readable) { [unowned self] _ in
            self.acceptPending()
        }
        listening = true
    }

    /// Stops accepting and closes the listening socket; open connections
    /// stay until ``closeConnections()``.
    public func stopListening() {
        guard listening else { return }
        listening = false
        loop.unregister(listener)
        Descriptor.close(listener)
    }

    /// Closes every connection.
    public func closeConnections() {
        for connection in connections.values { connection.close() }
        connections.removeAll()
    }

    private func acceptPending() {
        while true {
            let accepted: Int32?
            do {
                accepted = try UnixSocket.accept(listener)
            } catch {
                onProblem("accept: \(error)")
                return
            }
            guard let fd = accepted else { return }
            // Fails closed: a peer whose uid cannot be read is refused too.
            if let allowedUID {
                let uid = try? UnixSocket.peerUID(fd)
                guard uid == allowedUID else {
                    onProblem("refused a connection from uid \(uid.map { String($0) } ?? "unknown")")
                    Descriptor.close(fd)
                    continue
                }
            }
            let connection = TTRPCConnection(descriptor: fd, loop: loop, role: .server)
            connection.onFrame = { [unowned self, unowned connection] frame in
                self.dispatch(frame, on: connection)
            }
            connection.onDecodeError = { [unowned connection] error in
                guard let stream = error.streamID else {
                    connection.close()
                    return
                }
                try? connection.send(.response(streamID: stream, TTRPCResponse(error: error)))
            }
            connection.onClose = { [unowned self] in
                self.connections.removeValue(forKey: fd)
            }
            do {
                try connection.start()
                connections[fd] = connection
            } catch {
                onProblem("connection: \(error)")
                connection.close()
            }
        }
    }

    private func dispatch(_ frame: TTRPCFrame, on connection: TTRPCConnection) {
        guard frame.type == .request else { return }
        let responder = TTRPCResponder(connection: connection, streamID: frame.streamID)
        let request: TTRPCRequest
        do {
            request = try frame.decodeRequest()
        } catch {
            responder.fail(error)
            return
        }
        guard let handler = handlers[request.service + "/" + request.method] else {
            responder.fail(
                TTRPCError(
                    code: .notImplemented, message: "\(request.service)/\(request.method): unimplemented",
                    streamID: frame.streamID))
            return
        }
        handler(request, responder)
    }
}
