import BerthContent
import BerthErrors
import BerthOCI
import BerthTestSupport
import Foundation
import NIOHTTP1
import Synchronization
import Testing

@testable import BerthRegistry

@Suite("Broken registries and broken connections", .serialized)
struct FaultTests {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Pulls `fake:latest` from a scripted server; returns the error code and message.
    static func pullFake(_ image: FakeImage, store: TestStore, layer: @escaping @Sendable (TestRequest) -> TestResponse)
        async throws -> (ErrorCode, String)?
    {
        let server = try await TestHTTPServer.start(handler: image.handler(layerResponse: layer))
        defer { Task { await server.stop() } }
        return await errorCode {
            try await withClient(makeClient(plainHTTP: [server.host], maxAttempts: 3)) { client in
                _ = try await client.pull(ImageReference(parsing: "\(server.host)/fake:latest"), into: store.access)
            }
        }
    }

    @Test("a blob whose bytes do not match its digest is refused and never committed")
    func wrongDigest() async throws {
        let real = Self.randomBytes(100_000)
        let image = FakeImage(layerBytes: real, claimedLayerDigest: "sha256:" + String(repeating: "1", count: 64))
        let store = try TestStore()
        defer { store.remove() }
        let failure = try await Self.pullFake(image, store: store) { FakeImage.ranged(real, $0) }
        #expect(failure?.0 == .failedPrecondition)
        #expect(failure?.1.contains("digest mismatch") == true, "\(String(describing: failure))")
        #expect(failure?.1.contains(image.layerDigest) == true, "\(String(describing: failure))")
        #expect(try !store.has(try Digest(parsing: image.layerDigest)))
        #expect(try !store.has(try Digest(parsing: image.manifestDigest)), "no manifest without its layers")
        // The ingest was removed, so a retry cannot commit the bad bytes either.
        try store.expectNothingLeft(
            absent: [try Digest(parsing: image.layerDigest), try Digest(parsing: image.manifestDigest)], "wrong digest")
    }

    @Test("a registry with a different size than the descriptor is refused")
    func wrongSize() async throws {
        let bytes = Self.randomBytes(50_000)
        let store = try TestStore()
        defer { store.remove() }
        // The registry has more bytes than the descriptor says (Content-Length tells).
        let longer = FakeImage(layerBytes: bytes, layerDescriptorSize: 40_000)
        let tooLong = try await Self.pullFake(longer, store: store) { _ in TestResponse(.ok, body: bytes + [1]) }
        #expect(tooLong?.0 == .failedPrecondition)
        #expect(tooLong?.1.contains(longer.layerDigest) == true, "\(String(describing: tooLong))")
        #expect(tooLong?.1.contains("size mismatch") == true, "\(String(describing: tooLong))")
        try store.expectNothingLeft(absent: [try Digest(parsing: longer.layerDigest)], "longer")

        // An endless chunked stream (no Content-Length) is cut at the descriptor size.
        let endless = FakeImage(layerBytes: bytes)
        let stream = try await Self.pullFake(endless, store: store) { _ in
            TestResponse(.ok, body: bytes + Self.randomBytes(200_000), chunked: true)
        }
        #expect(stream?.0 == .failedPrecondition)
        #expect(stream?.1.contains(endless.layerDigest) == true, "\(String(describing: stream))")
        #expect(stream?.1.contains("more than the descriptor's 50000 bytes") == true, "\(String(describing: stream))")
        try store.expectNothingLeft(absent: [try Digest(parsing: endless.layerDigest)], "endless")

        // Fewer bytes: the stream ends early, the resume asks for the rest, the registry has none.
        let shorter = FakeImage(layerBytes: bytes, layerDescriptorSize: 60_000)
        let tooShort = try await Self.pullFake(shorter, store: store) { request in
            request.headers.first(name: "Range") == nil
                ? TestResponse(.ok, body: bytes, chunked: true) : FakeImage.ranged(bytes, request)
        }
        #expect(tooShort?.0 == .failedPrecondition)
        #expect(tooShort?.1.contains(shorter.layerDigest) == true, "\(String(describing: tooShort))")
        #expect(tooShort?.1.contains("size mismatch") == true, "\(String(describing: tooShort))")
        try store.expectNothingLeft(
            absent: [try Digest(parsing: shorter.layerDigest), try Digest(parsing: shorter.manifestDigest)], "shorter")
    }

    @Test("a download cut halfway resumes with Range from the ingest's offset")
    func resumeAfterCut() async throws {
        let bytes = Self.randomBytes(3 << 20)
        let image = FakeImage(layerBytes: bytes)
        let cut = 1_234_567
        let attempts = Mutex(0)
        let server = try await TestHTTPServer.start(
            handler: image.handler { request in
                let first = attempts.withLock { count in
                    count += 1
                    return count == 1
                }
                return first ? TestResponse(.ok, body: bytes, cutAfter: cut) : FakeImage.ranged(bytes, request)
            })
        defer { Task { await server.stop() } }
        let store = try TestStore()
        defer { store.remove() }
        let events = EventLog<PullProgress>()
        let result = try await withClient(makeClient(plainHTTP: [server.host])) { client in
            try await client.pull(
                ImageReference(parsing: "\(server.host)/fake:latest"), into: store.access,
                options: PullOptions(progress: { events.append($0) }))
        }
        let layerDigest = try Digest(parsing: image.layerDigest)
        #expect(result.images.first?.manifest.layers.first?.digest == layerDigest)
        #expect(try store.bytes(layerDigest) == bytes)
        let layerRequests = server.requests.filter { $0.path.hasSuffix(layerDigest.encoded) && $0.method == .GET }
        #expect(layerRequests.count == 2)
        #expect(layerRequests.first?.headers.first(name: "Range") == nil)
        // The resume starts where the ingest stopped: at most the cut (the client
        // may lose bytes still buffered when the connection dropped), never 0.
        let range = try #require(layerRequests.last?.headers.first(name: "Range"))
        let start = try #require(Int64(range.dropFirst("bytes=".count).dropLast()))
        #expect(range == "bytes=\(start)-")
        #expect(start > 0 && start <= Int64(cut))
        #expect(events.all.contains { if case .retrying(layerDigest, start, 1, _) = $0 { true } else { false } })
    }

    @Test("a download cut halfway through a real registry (via a dropping proxy) resumes and verifies")
    func resumeThroughProxy() async throws {
        guard RegistryFixture.isAvailable else { return }
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(registry.host)/cut:latest")
        let proxy = ForwardingProxy(upstream: registry.host)
        let cuts = Mutex(0)
        let server = try await TestHTTPServer.start { request in
            var response = await proxy.forward(request)
            let isLayer = request.method == .GET && request.path.contains("/blobs/") && response.body.count > 100_000
            if isLayer,
                cuts.withLock({ count in
                    count += 1
                    return count == 1
                })
            {
                response.cutAfter = response.body.count / 2
            }
            return response
        }
        defer {
            Task {
                await server.stop()
                await proxy.shutdown()
            }
        }
        let store = try TestStore()
        defer { store.remove() }
        let result = try await withClient(makeClient(plainHTTP: [server.host])) { client in
            try await client.pull(ImageReference(parsing: "\(server.host)/cut:latest"), into: store.access)
        }
        let layer = try #require(result.images.first?.manifest.layers.first)
        let ranges = server.requests.filter { $0.path.hasSuffix(layer.digest.encoded) }.compactMap {
            $0.headers.first(name: "Range")
        }
        #expect(ranges.count == 1)
        let start = try #require(ranges.first.flatMap { Int64($0.dropFirst("bytes=".count).dropLast()) })
        #expect(start > 0 && start <= layer.size / 2)
        #expect(try store.has(layer.digest))
    }

    @Test("5xx answers are retried with back-off; a registry that keeps failing gives unavailable")
    func retries() async throws {
        let bytes = Self.randomBytes(10_000)
        let image = FakeImage(layerBytes: bytes)
        let failures = Mutex(0)
        let handler = image.handler { FakeImage.ranged(bytes, $0) }
        let flaky = try await TestHTTPServer.start { request in
            if request.path.contains("/manifests/"),
                failures.withLock({ count in
                    count += 1
                    return count <= 2
                })
            {
                return TestResponse(.serviceUnavailable)
            }
            return await handler(request)
        }
        defer { Task { await flaky.stop() } }
        let store = try TestStore()
        defer { store.remove() }
        let result = try await withClient(makeClient(plainHTTP: [flaky.host], maxAttempts: 4)) { client in
            try await client.pull(ImageReference(parsing: "\(flaky.host)/fake:latest"), into: store.access)
        }
        #expect(result.target.digest.description == image.manifestDigest)

        let down = try await TestHTTPServer.start { _ in TestResponse(.serviceUnavailable) }
        defer { Task { await down.stop() } }
        let failure = await errorCode {
            try await withClient(makeClient(plainHTTP: [down.host], maxAttempts: 3)) { client in
                _ = try await client.resolve(ImageReference(parsing: "\(down.host)/fake:latest"))
            }
        }
        #expect(failure?.0 == .unavailable)
        #expect(down.requests.count == 3)
    }

    @Test("an index that refers to itself, or nests too deep, is refused")
    func indexCycles() async throws {
        // A cycle cannot be built with real digests, so the walker is fed a
        // loader that ignores them: index A lists B, B lists A.
        func index(_ children: [Descriptor]) throws -> [UInt8] {
            [UInt8](try JSONEncoder().encode(Index(manifests: children)))
        }
        let a = Descriptor(mediaType: .ociIndex, digest: Digest.sha256(of: [1]), size: 1)
        let b = Descriptor(mediaType: .ociIndex, digest: Digest.sha256(of: [2]), size: 1)
        let documents = [a.digest: try index([b]), b.digest: try index([a])]
        do {
            _ = try await ImageGraph.walk(
                root: a, maxDepth: 8, load: { documents[$0.digest] ?? [] }, select: { $1.manifests })
            Issue.record("cycle not detected")
        } catch let error as RegistryError {
            #expect(error.message.contains("index cycle"))
        }
        let own = [a.digest: try index([a])]
        await #expect(throws: RegistryError.self) {
            _ = try await ImageGraph.walk(
                root: a, maxDepth: 8, load: { own[$0.digest] ?? [] }, select: { $1.manifests })
        }
        // A chain of distinct indexes deeper than the limit.
        let chain = (0..<6).map { Descriptor(mediaType: .ociIndex, digest: Digest.sha256(of: [UInt8($0)]), size: 1) }
        var nested: [Digest: [UInt8]] = [:]
        for (offset, descriptor) in chain.enumerated() {
            nested[descriptor.digest] = try index(offset + 1 < chain.count ? [chain[offset + 1]] : [])
        }
        do {
            _ = try await ImageGraph.walk(
                root: chain[0], maxDepth: 4, load: { nested[$0.digest] ?? [] }, select: { $1.manifests })
            Issue.record("depth limit not enforced")
        } catch let error as RegistryError {
            #expect(error.message.contains("nests deeper"))
        }
    }
}
