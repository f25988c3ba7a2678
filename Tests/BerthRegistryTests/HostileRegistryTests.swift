import BerthContent
import BerthErrors
import BerthOCI
import BerthTestSupport
import Foundation
import NIOHTTP1
import Testing

@testable import BerthRegistry

/// Hostile registries (issue 9): each case gets a clear error naming the
/// offending object and leaves no ingest, no blob of the bad object, no
/// manifest. Wrong digests and sizes are in `FaultTests`; hostile layers
/// through pull and unpack are in `HostileRegistryUnpackTests`.
@Suite("Hostile registries: endless streams, huge manifests, self-referring indexes", .serialized)
struct HostileRegistryTests {
    static let reference = "latest"

    /// Serves `registry`, pulls `hostile:latest` with `limits`; returns the
    /// error (code, message), or nil if the pull succeeded.
    static func pull(_ registry: ScriptedRegistry, store: TestStore, limits: RegistryLimits = RegistryLimits())
        async throws -> (ErrorCode, String)?
    {
        try await pullRecording(registry, store: store, limits: limits).failure
    }

    /// As `pull`, also returning the requests the registry received.
    static func pullRecording(
        _ registry: ScriptedRegistry, store: TestStore, limits: RegistryLimits = RegistryLimits()
    ) async throws -> (failure: (ErrorCode, String)?, requests: [TestRequest]) {
        let server = try await TestHTTPServer.start(handler: registry.handler())
        defer { Task { await server.stop() } }
        let failure = await errorCode {
            try await withClient(makeClient(plainHTTP: [server.host], limits: limits, maxAttempts: 2)) { client in
                _ = try await client.pull(
                    ImageReference(parsing: "\(server.host)/\(ScriptedRegistry.repository):\(reference)"),
                    into: store.access)
            }
        }
        return (failure, server.requests)
    }

    /// A registry with a valid one-layer image under `latest`.
    static func image(layerSize: Int = 100_000) -> (ScriptedRegistry, layer: Descriptor, manifest: Descriptor) {
        var registry = ScriptedRegistry()
        let layer = FaultTests.randomBytes(layerSize)
        let added = registry.addImage(tag: reference, layer: layer, diffID: Digest.sha256(of: layer))
        return (registry, added.layer, added.manifest)
    }

    @Test(
        "an endless blob body is cut at the descriptor size, with or without Content-Length",
        arguments: [false, true])
    func endlessBlob(announcesLength: Bool) async throws {
        var (registry, layer, manifest) = Self.image()
        let body = EndlessBody()
        let layerPath = "/v2/\(ScriptedRegistry.repository)/blobs/\(layer.digest)"
        registry.override = { request in
            guard request.path == layerPath, request.method == .GET else { return nil }
            // A TiB announced (and never reached), or chunked without end.
            let headers = announcesLength ? [("Content-Length", "\(Int64(1) << 40)")] : []
            return TestResponse(.ok, headers: headers, stream: { await body.next($0) })
        }
        let store = try TestStore()
        defer { store.remove() }
        let clock = ContinuousClock()
        let start = clock.now
        let failure = try await Self.pull(registry, store: store)
        #expect(clock.now - start < .seconds(10))
        #expect(failure?.0 == .failedPrecondition, "\(String(describing: failure))")
        #expect(failure?.1.contains(layer.digest.string) == true, "\(String(describing: failure))")
        #expect(failure?.1.contains("size mismatch") == true, "\(String(describing: failure))")
        #expect(await body.waitUntilAbandoned(), "the client kept reading the endless body")
        try store.expectNothingLeft(absent: [layer.digest, manifest.digest], "endless blob")
    }

    /// How a manifest goes over the limit.
    enum HugeManifest: String, CaseIterable, CustomTestStringConvertible {
        /// HEAD announces a length over the limit (the GET never happens).
        case headContentLength
        /// HEAD says nothing useful; GET announces a TiB and sends without end.
        case getContentLength
        /// GET sends a chunked body without end.
        case endlessChunked
        /// GET sends a chunked body of the limit plus one byte.
        case chunkedOverLimit

        var testDescription: String { rawValue }
    }

    @Test("a manifest over the limit is refused", arguments: HugeManifest.allCases)
    func hugeManifest(_ kind: HugeManifest) async throws {
        let limit: Int64 = 256 << 10
        var (registry, layer, manifest) = Self.image()
        let body = EndlessBody()
        let tagPath = "/v2/\(ScriptedRegistry.repository)/manifests/\(Self.reference)"
        registry.override = { request in
            guard request.path == tagPath else { return nil }
            let type = ("Content-Type", MediaType.ociManifest.rawValue)
            let prefix = Array(#"{"schemaVersion":2,"annotations":{"x":""#.utf8)
            switch (kind, request.method) {
            case (.headContentLength, _):
                return TestResponse(
                    .ok, headers: [type, ("Content-Length", "\(limit + 1)")],
                    body: request.method == .HEAD ? [] : [UInt8](repeating: 0x20, count: Int(limit + 1)))
            case (_, .HEAD):
                return TestResponse(.methodNotAllowed)
            case (.getContentLength, _):
                return TestResponse(
                    .ok, headers: [type, ("Content-Length", "\(Int64(1) << 40)")], body: prefix,
                    stream: { await body.next($0) })
            case (.endlessChunked, _):
                return TestResponse(.ok, headers: [type], body: prefix, stream: { await body.next($0) })
            case (.chunkedOverLimit, _):
                return TestResponse(
                    .ok, headers: [type], body: prefix + [UInt8](repeating: 0x61, count: Int(limit) + 1 - prefix.count),
                    chunked: true)
            }
        }
        let store = try TestStore()
        defer { store.remove() }
        let failure = try await Self.pull(registry, store: store, limits: RegistryLimits(maxManifestSize: limit))
        #expect(failure?.0 == .resourceExhausted, "\(String(describing: failure))")
        #expect(failure?.1.contains("\(ScriptedRegistry.repository):\(Self.reference)") == true)
        #expect(failure?.1.contains("\(limit)-byte limit") == true, "\(String(describing: failure))")
        #expect(await body.waitUntilAbandoned(), "the client kept reading the endless manifest")
        #expect(body.bytes < 64 << 20, "\(body.bytes) bytes sent for a \(limit)-byte limit")
        let left = try store.leftovers()
        #expect(left.blobs.isEmpty && left.blobFiles.isEmpty, "\(left)")
        try store.expectNothingLeft(absent: [layer.digest, manifest.digest], "\(kind)")
    }

    @Test("a manifest from an index is read no further than its descriptor's size, nor past the limit")
    func childManifestBounds() async throws {
        var (registry, layer, manifest) = Self.image()
        let body = EndlessBody()
        // The index points at the real manifest; the registry sends it, then more, forever.
        let index = registry.add(document: ScriptedRegistry.index([manifest]), mediaType: .ociIndex, tag: "latest")
        let real = try #require(registry.documents[manifest.digest.string]?.bytes)
        let childPath = "/v2/\(ScriptedRegistry.repository)/manifests/\(manifest.digest)"
        registry.override = { request in
            guard request.path == childPath, request.method == .GET else { return nil }
            return TestResponse(
                .ok, headers: [("Content-Type", MediaType.ociManifest.rawValue)], body: real,
                stream: { await body.next($0) })
        }
        let store = try TestStore()
        defer { store.remove() }
        let failure = try await Self.pull(registry, store: store)
        #expect(failure?.0 == .failedPrecondition, "\(String(describing: failure))")
        #expect(failure?.1.contains(manifest.digest.string) == true, "\(String(describing: failure))")
        #expect(failure?.1.contains("more than the descriptor's \(manifest.size) bytes") == true)
        #expect(await body.waitUntilAbandoned())
        try store.expectNothingLeft(absent: [layer.digest, manifest.digest, index.digest], "endless child")

        // A child whose descriptor is over the limit is not even fetched.
        var big = Self.image().0
        let huge = Descriptor(mediaType: .ociManifest, digest: manifest.digest, size: (4 << 20) + 1)
        let bigIndex = big.add(document: ScriptedRegistry.index([huge]), mediaType: .ociIndex, tag: "latest")
        let bigStore = try TestStore()
        defer { bigStore.remove() }
        let refused = try await Self.pull(big, store: bigStore)
        #expect(refused?.0 == .resourceExhausted, "\(String(describing: refused))")
        #expect(refused?.1.contains("manifest \(manifest.digest) is \((4 << 20) + 1) bytes") == true)
        try bigStore.expectNothingLeft(absent: [bigIndex.digest, manifest.digest], "huge child")
    }

    @Test("an index that refers to itself is refused by the pull, as is one nested too deep")
    func selfReferringIndex() async throws {
        // An index cannot hold its own digest, so the registry lies: the index
        // lists a child index X, and the registry answers X with the index itself.
        var registry = Self.image().0
        let child = Descriptor(mediaType: .ociIndex, digest: Digest.sha256(of: Array("X".utf8)), size: 0)
        var bytes = ScriptedRegistry.index([child])
        // Make the declared size match what the registry will send for X.
        for _ in 0..<3 {
            let sized = Descriptor(mediaType: .ociIndex, digest: child.digest, size: Int64(bytes.count))
            bytes = ScriptedRegistry.index([sized])
        }
        let root = registry.add(document: bytes, mediaType: .ociIndex, tag: "latest")
        registry.documents[child.digest.string] = (.ociIndex, bytes)
        let store = try TestStore()
        defer { store.remove() }
        let (failure, requests) = try await Self.pullRecording(registry, store: store)
        #expect(failure?.0 == .failedPrecondition, "\(String(describing: failure))")
        #expect(
            failure?.1.contains("digest mismatch: expected \(child.digest)") == true, "\(String(describing: failure))")
        // HEAD and GET of the tag, one GET of X: no loop, no retry of bad content.
        let childRequests = requests.filter { $0.path.hasSuffix("/manifests/\(child.digest)") }
        #expect(childRequests.count == 1, "\(requests.map(\.uri))")
        try store.expectNothingLeft(absent: [root.digest, child.digest], "self-referring index")

        // Distinct, valid indexes nested deeper than maxIndexDepth.
        var deep = Self.image()
        var top = deep.manifest
        var chain: [Descriptor] = []
        for level in 0..<4 {
            top = deep.0.add(
                document: ScriptedRegistry.index([top]), mediaType: .ociIndex, tag: level == 3 ? "latest" : nil)
            chain.append(top)
        }
        let deepStore = try TestStore()
        defer { deepStore.remove() }
        let tooDeep = try await Self.pull(deep.0, store: deepStore, limits: RegistryLimits(maxIndexDepth: 2))
        #expect(tooDeep?.0 == .failedPrecondition, "\(String(describing: tooDeep))")
        #expect(tooDeep?.1.contains("index \(chain[1].digest) nests deeper than 2 levels") == true)
        try deepStore.expectNothingLeft(
            absent: chain.map(\.digest) + [deep.manifest.digest, deep.layer.digest], "deep index")
    }
}
