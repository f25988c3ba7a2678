import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the test server saw it.
struct TestRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    var path: String { String(uri.prefix { $0 != "?" }) }

    var query: [String: [String]] {
        guard let mark = uri.firstIndex(of: "?") else { return [:] }
        var out: [String: [String]] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            out[name, default: []].append(value)
        }
        return out
    }
}

/// A scripted response. With `cutAfter`, the headers announce the whole body
/// but only that many bytes are sent before the connection is closed.
struct TestResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: [UInt8]
    var cutAfter: Int?
    /// Send the body with chunked encoding (no Content-Length).
    var chunked: Bool
    /// A body produced while it is sent, after `body`: called with 0, 1, 2, …
    /// for the next chunk until it returns nil (an endless body never does).
    /// Each chunk is written once the previous one has left; sending stops
    /// when the client hangs up. Without a `Content-Length` header the
    /// response is chunked.
    var stream: (@Sendable (Int) async -> [UInt8]?)?

    init(
        _ status: HTTPResponseStatus = .ok, headers: [(String, String)] = [], body: [UInt8] = [],
        cutAfter: Int? = nil, chunked: Bool = false, stream: (@Sendable (Int) async -> [UInt8]?)? = nil
    ) {
        self.status = status
        self.headers = HTTPHeaders(headers)
        self.body = body
        self.cutAfter = cutAfter
        self.chunked = chunked || (stream != nil && !self.headers.contains(name: "Content-Length"))
        self.stream = stream
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for scripted registry behaviour:
/// token servers, fault-injecting proxies, fake registries. Records every request.
final class TestHTTPServer: Sendable {
    typealias Handler = @Sendable (TestRequest) async -> TestResponse

    let port: Int
    private let channel: any Channel
    private let log: Mutex<[TestRequest]>

    var host: String { "127.0.0.1:\(port)" }

    /// Requests received so far, in order.
    var requests: [TestRequest] { log.withLock { $0 } }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
        self.log = Mutex([])
    }

    static func start(handler: @escaping Handler) async throws -> TestHTTPServer {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(handler: handler, record: { recorder.append($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try await channel.close()
            throw TestServerError("no local port")
        }
        let server = TestHTTPServer(port: port, channel: channel)
        recorder.server.withLock { $0 = server }
        return server
    }

    func record(_ request: TestRequest) {
        log.withLock { $0.append(request) }
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Recorder: Sendable {
        let server = Mutex<TestHTTPServer?>(nil)

        func append(_ request: TestRequest) {
            let target = server.withLock { $0 }
            target?.record(request)
        }
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: TestHTTPServer.Handler
    private let record: @Sendable (TestRequest) -> Void
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(handler: @escaping TestHTTPServer.Handler, record: @escaping @Sendable (TestRequest) -> Void) {
        self.handler = handler
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = TestRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            record(request)
            let keepAlive = head.isKeepAlive
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let handler = self.handler
            Task {
                let response = await handler(request)
                loop.execute {
                    let (this, context) = bound.value
                    this.respond(response, to: request, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func respond(
        _ response: TestResponse, to request: TestRequest, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        var headers = response.headers
        if response.chunked {
            headers.remove(name: "Content-Length")
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        } else if !headers.contains(name: "Content-Length") {
            headers.add(name: "Content-Length", value: "\(response.body.count)")
        }
        if !keepAlive || response.cutAfter != nil {
            headers.replaceOrAdd(name: "Connection", value: "close")
        }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
            promise: nil)
        let sendBody = request.method != .HEAD
        if let cut = response.cutAfter {
            // Close only once the partial body has left (closing fails pending writes).
            let part = ByteBuffer(bytes: sendBody ? response.body.prefix(cut) : [])
            let written = context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part))))
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
            return
        }
        if sendBody, let stream = response.stream {
            writeStream(first: response.body, then: stream, keepAlive: keepAlive, context: context)
            return
        }
        if sendBody, !response.body.isEmpty {
            var offset = 0
            while offset < response.body.count {
                let end = min(offset + 65536, response.body.count)
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body[offset..<end])))), promise: nil)
                offset = end
            }
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

extension RequestHandler {
    /// Writes `first`, then each chunk `next` produces, waiting for each write
    /// to leave; stops when `next` returns nil or a write fails (the client
    /// closed the connection).
    fileprivate func writeStream(
        first: [UInt8], then next: @escaping @Sendable (Int) async -> [UInt8]?, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        Task {
            var index = 0
            var chunk: [UInt8]? = first
            while let bytes = chunk {
                if !bytes.isEmpty {
                    let written = loop.flatSubmit {
                        let (this, context) = bound.value
                        return context.writeAndFlush(this.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))))
                    }
                    do {
                        try await written.get()
                    } catch {
                        return  // the client hung up
                    }
                }
                chunk = await next(index)
                index += 1
            }
            loop.execute {
                let (this, context) = bound.value
                let done = context.writeAndFlush(this.wrapOutboundOut(.end(nil)))
                if !keepAlive {
                    let closing = NIOLoopBound(context, eventLoop: loop)
                    done.whenComplete { _ in closing.value.close(promise: nil) }
                }
            }
        }
    }
}

/// Forwards requests to an upstream server (a real registry) and lets a test
/// rewrite the response, e.g. to cut a blob download halfway.
struct ForwardingProxy: Sendable {
    let upstream: String
    let client: HTTPClient

    init(upstream: String) {
        self.upstream = upstream
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
    }

    func forward(_ request: TestRequest) async -> TestResponse {
        var outgoing = HTTPClientRequest(url: "http://\(upstream)\(request.uri)")
        outgoing.method = request.method
        for (name, value) in request.headers where name.lowercased() != "host" && name.lowercased() != "content-length"
        {
            outgoing.headers.add(name: name, value: value)
        }
        if !request.body.isEmpty {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outgoing, timeout: .seconds(30))
            var body = try await response.body.collect(upTo: 256 << 20)
            var headers: [(String, String)] = []
            for (name, value) in response.headers where name.lowercased() != "transfer-encoding" {
                headers.append((name, value))
            }
            return TestResponse(
                response.status, headers: headers, body: body.readBytes(length: body.readableBytes) ?? [])
        } catch {
            return TestResponse(.badGateway, body: Array("proxy: \(error)".utf8))
        }
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}
