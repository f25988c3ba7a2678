import BerthErrors
@testable import BerthShimCore
import BerthShimProto
import BerthSystem
import BerthTTRPC
import BerthTestSupport
import Logging
import SwiftProtobuf
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Turns `loop` until `done()` or the deadline.
func turn(_ loop: EventLoop, timeoutMilliseconds: Int64 = 5000, until done: () -> Bool) {
    let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
    while !done(), MonotonicClock.milliseconds() < deadline {
        loop.runOnce(timeoutMilliseconds: 20)
    }
}

@Suite struct EventLoopTests {
    @Test func timersAndDeferredWorkRunInOrder() throws {
        let loop = try EventLoop()
        var log: [String] = []
        loop.schedule(afterMilliseconds: 30) { log.append("late") }
        loop.schedule(afterMilliseconds: 10) { log.append("early") }
        let cancelled = loop.schedule(afterMilliseconds: 5) { log.append("cancelled") }
        loop.cancel(cancelled)
        loop.execute { log.append("now") }
        turn(loop) { log.count == 3 }
        #expect(log == ["now", "early", "late"])
    }

    @Test func readinessIsDelivered() throws {
        let loop = try EventLoop()
        let pipe = try Descriptor.pipe()
        defer {
            Descriptor.close(pipe.read)
            Descriptor.close(pipe.write)
        }
        var got: [UInt8] = []
        try loop.register(pipe.read, for: .readable) { _ in
            var buffer = [UInt8](repeating: 0, count: 16)
            let outcome = buffer.withUnsafeMutableBytes { (try? Descriptor.read(pipe.read, into: $0)) ?? .endOfFile }
            if case .transferred(let n) = outcome { got += buffer[0..<n] }
        }
        try Descriptor.writeAll(pipe.write, Array("hi".utf8))
        turn(loop) { got.count == 2 }
        loop.unregister(pipe.read)
        #expect(got == Array("hi".utf8))
        #expect(loop.registeredCount == 0)
    }
}

@Suite struct TTRPCLoopTests {
    /// A server and a client on one loop, over a real unix socket.
    @Test func callsAreAnsweredNowOrLaterAndUnknownMethodsAreUnimplemented() throws {
        let directory = try TemporaryDirectory(prefix: "ttrpc")
        defer { directory.remove() }
        let path = directory.path + "/t.sock"
        let loop = try EventLoop()
        let server = TTRPCServer(loop: loop, listener: try UnixSocket.listen(path: path))
        var parked: TTRPCResponder?
        server.register(service: "test.Echo", method: "Now") { request, responder in
            #expect(request.namespace == "ns1")
            responder.succeed(payload: Array(request.payload.reversed()))
        }
        server.register(service: "test.Echo", method: "Later") { _, responder in parked = responder }
        try server.start()
        let client = TTRPCClient(loop: loop, path: path)
        var results: [String: Result<[UInt8], TTRPCError>] = [:]
        client.call(service: "test.Echo", method: "Later", payload: [1]) { results["later"] = $0 }
        client.call(
            service: "test.Echo", method: "Now", payload: [1, 2, 3],
            metadata: [(TTRPCRequest.namespaceMetadataKey, "ns1")]
        ) { results["now"] = $0 }
        client.call(service: "test.Echo", method: "Missing", payload: []) { results["missing"] = $0 }
        turn(loop) { results.count == 2 && parked != nil }
        #expect(try results["now"]?.get() == [3, 2, 1])
        guard case .failure(let error)? = results["missing"] else {
            Issue.record("expected an error")
            return
        }
        #expect(error.code == .notImplemented)
        parked?.succeed(payload: [9])
        turn(loop) { results.count == 3 }
        #expect(try results["later"]?.get() == [9])

        // Calls in flight fail when the server goes away.
        client.call(service: "test.Echo", method: "Later", payload: []) { results["orphan"] = $0 }
        turn(loop) { parked?.isConnected == true && results["orphan"] == nil && server.connectionCount == 1 }
        server.closeConnections()
        turn(loop) { results["orphan"] != nil }
        guard case .failure(let closed)? = results["orphan"] else {
            Issue.record("expected unavailable")
            return
        }
        #expect(closed.code == .unavailable)
        server.stopListening()
    }

    @Test func aCallToNowhereFailsUnavailable() throws {
        let loop = try EventLoop()
        let client = TTRPCClient(loop: loop, path: "/nonexistent/berth-test.sock")
        var result: Result<[UInt8], TTRPCError>?
        client.call(service: "s", method: "m", payload: []) { result = $0 }
        turn(loop) { result != nil }
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .notFound || error.code == .unavailable)
    }
}

/// A Reaper blocks SIGCHLD on its thread; give the test runner's thread back as it was.
func unblockChildSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGCHLD)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

@Suite(.serialized) struct ReaperTests {
    @Test func commandsAreWaitedForThroughTheReaper() throws {
        let reaper = try Reaper(scope: .expectedOnly)
        defer { unblockChildSignals() }
        var command = Command(
            path: "/bin/sh", arguments: ["sh", "-c", "echo out; echo err >&2; exit 3"], environment: [])
        command.timeoutMilliseconds = 10_000
        let result = try reaper.run(command)
        #expect(result.status == .exited(3))
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "out\n")
        #expect(String(decoding: result.standardError, as: UTF8.self) == "err\n")
    }

    @Test func aHangingCommandIsKilledAtItsTimeout() throws {
        let reaper = try Reaper(scope: .expectedOnly)
        defer { unblockChildSignals() }
        var command = Command(path: "/bin/sleep", arguments: ["sleep", "30"], environment: [])
        command.timeoutMilliseconds = 200
        let result = try reaper.run(command)
        #expect(result.timedOut)
        #expect(result.status == .signaled(9))
    }

    @Test func largeOutputDoesNotDeadlock() throws {
        let reaper = try Reaper(scope: .expectedOnly)
        defer { unblockChildSignals() }
        var command = Command(
            path: "/bin/sh", arguments: ["sh", "-c", "head -c 1000000 /dev/zero"], environment: [])
        command.captureLimit = 4096
        let result = try reaper.run(command)
        #expect(result.succeeded)
        #expect(result.standardOutput.count == 4096)
    }
}

@Suite struct RelayTests {
    @Test func aStalledReaderNeverBlocksTheWriterForever() throws {
        let loop = try EventLoop()
        let watcher = IOWatcher(loop: loop)
        let source = try Descriptor.pipe()
        let sink = try Descriptor.pipe()
        defer {
            Descriptor.close(source.write)
            Descriptor.close(sink.read)
        }
        let relay = Relay(
            name: "stdout", source: source.read, sink: sink.write, sinkIsPollable: true, watcher: watcher,
            logger: Logger(label: "test"))
        relay.stallMilliseconds = 100
        relay.start()
        try Descriptor.setNonBlocking(source.write)
        // Nobody reads `sink`: 64 KiB fit in it, Relay.capacity in the relay,
        // then the writer would block, until the stall policy drops data.
        var written = 0
        let target = 2 << 20
        let chunk = [UInt8](repeating: 0x61, count: 16 << 10)
        let deadline = MonotonicClock.milliseconds() + 10_000
        while written < target, MonotonicClock.milliseconds() < deadline {
            let outcome = chunk.withUnsafeBytes { (try? Descriptor.write(source.write, $0)) ?? .endOfFile }
            if case .transferred(let n) = outcome { written += n }
            loop.runOnce(timeoutMilliseconds: 5)
        }
        #expect(written >= target)
        Descriptor.close(source.write)
        turn(loop) { relay.isFinished }
        #expect(relay.isFinished)
    }

    @Test func everythingIsCopiedWhenTheReaderKeepsUp() throws {
        let loop = try EventLoop()
        let watcher = IOWatcher(loop: loop)
        let source = try Descriptor.pipe()
        let sink = try Descriptor.pipe()
        defer { Descriptor.close(sink.read) }
        let relay = Relay(
            name: "stdout", source: source.read, sink: sink.write, sinkIsPollable: true, watcher: watcher,
            logger: Logger(label: "test"))
        relay.start()
        try Descriptor.setNonBlocking(source.write)
        try Descriptor.setNonBlocking(sink.read)
        let total = 3 << 20
        var written = 0
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let chunk = [UInt8](repeating: 0x62, count: 32 << 10)
        let deadline = MonotonicClock.milliseconds() + 20_000
        while received < total, MonotonicClock.milliseconds() < deadline {
            if written < total {
                let outcome = chunk.withUnsafeBytes {
                    (try? Descriptor.write(
                        source.write, UnsafeRawBufferPointer(rebasing: $0[0..<min($0.count, total - written)])))
                        ?? .endOfFile
                }
                if case .transferred(let n) = outcome { written += n }
                if written == total { Descriptor.close(source.write) }
            }
            loop.runOnce(timeoutMilliseconds: 1)
            let outcome = buffer.withUnsafeMutableBytes { (try? Descriptor.read(sink.read, into: $0)) ?? .endOfFile }
            if case .transferred(let n) = outcome { received += n }
        }
        #expect(received == total)
        turn(loop) { relay.isFinished }
        #expect(relay.isFinished)
    }
}
