import BerthContent
import BerthOCI
import BerthTestSupport
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// A fake registry for one repository, `hostile`: documents by tag or digest,
/// blobs by digest, and an `override` that scripts any request first (return
/// nil to fall through). Serves `Range` on blobs.
struct ScriptedRegistry: Sendable {
    static let repository = "hostile"

    var documents: [String: (mediaType: MediaType, bytes: [UInt8])] = [:]
    var blobs: [Digest: [UInt8]] = [:]
    var override: (@Sendable (TestRequest) async -> TestResponse?)?

    /// Adds a document under its digest (and `tag`, if given); returns its descriptor.
    @discardableResult
    mutating func add(document bytes: [UInt8], mediaType: MediaType, tag: String? = nil) -> Descriptor {
        let descriptor = Descriptor(mediaType: mediaType, digest: Digest.sha256(of: bytes), size: Int64(bytes.count))
        documents[descriptor.digest.string] = (mediaType, bytes)
        if let tag { documents[tag] = (mediaType, bytes) }
        return descriptor
    }

    /// Adds a blob; returns its descriptor.
    @discardableResult
    mutating func add(blob bytes: [UInt8], mediaType: MediaType) -> Descriptor {
        let descriptor = Descriptor(mediaType: mediaType, digest: Digest.sha256(of: bytes), size: Int64(bytes.count))
        blobs[descriptor.digest] = bytes
        return descriptor
    }

    /// Adds a one-layer image under `tag`: the layer blob, a config listing
    /// `diffID`, and the manifest. Returns the layer and manifest descriptors.
    @discardableResult
    mutating func addImage(tag: String, layer: [UInt8], diffID: Digest) -> (layer: Descriptor, manifest: Descriptor) {
        let layerDescriptor = add(blob: layer, mediaType: .ociLayerGzip)
        let config = add(
            blob: Array(
                #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(diffID)"]}}"#.utf8),
            mediaType: .ociConfig)
        let manifest = add(
            document: Self.manifest(config: config, layers: [layerDescriptor]), mediaType: .ociManifest, tag: tag)
        return (layerDescriptor, manifest)
    }

    static func manifest(config: Descriptor, layers: [Descriptor]) -> [UInt8] {
        func json(_ descriptor: Descriptor) -> String {
            #"{"mediaType":"\#(descriptor.mediaType.rawValue)","digest":"\#(descriptor.digest)","size":\#(descriptor.size)}"#
        }
        let layerList = layers.map(json).joined(separator: ",")
        return Array(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":\#(json(config)),"layers":[\#(layerList)]}"#
                .utf8)
    }

    static func index(_ children: [Descriptor]) -> [UInt8] {
        let list = children.map {
            #"{"mediaType":"\#($0.mediaType.rawValue)","digest":"\#($0.digest)","size":\#($0.size)}"#
        }
        return Array(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(list.joined(separator: ","))]}"#
                .utf8)
    }

    func handler() -> TestHTTPServer.Handler {
        let registry = self
        return { request in
            if let scripted = await registry.override?(request) { return scripted }
            let path = request.path
            if path == "/v2/" { return TestResponse(.ok) }
            let manifests = "/v2/\(Self.repository)/manifests/"
            if path.hasPrefix(manifests), let document = registry.documents[String(path.dropFirst(manifests.count))] {
                return TestResponse(
                    .ok,
                    headers: [
                        ("Content-Type", document.mediaType.rawValue),
                        ("Docker-Content-Digest", Digest.sha256(of: document.bytes).string),
                    ], body: document.bytes)
            }
            let blobs = "/v2/\(Self.repository)/blobs/"
            if path.hasPrefix(blobs), let digest = Digest(String(path.dropFirst(blobs.count))),
                let bytes = registry.blobs[digest]
            {
                return FakeImage.ranged(bytes, request)
            }
            return TestResponse(.notFound)
        }
    }
}

/// A body that never ends: the same 64 KiB over and over, counting what it produced.
final class EndlessBody: Sendable {
    static let chunk = FaultTests.randomBytes(64 << 10)
    private let produced = Mutex<Int64>(0)

    /// Bytes handed to the server so far.
    var bytes: Int64 { produced.withLock { $0 } }

    func next(_ index: Int) async -> [UInt8]? {
        produced.withLock { $0 += Int64(Self.chunk.count) }
        return Self.chunk
    }

    /// Waits until production has stopped (the client hung up): no new chunk for 200 ms.
    /// Returns false if it still runs after `timeout`.
    func waitUntilAbandoned(timeout: Duration = .seconds(5)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last = bytes
        while clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(200))
            let now = bytes
            if now == last { return true }
            last = now
        }
        return false
    }
}

/// A one-shot flag a test server can wait on (e.g. "the unpack has failed").
final class Signal: Sendable {
    private let raised = Mutex(false)

    var isRaised: Bool { raised.withLock { $0 } }

    func raise() {
        raised.withLock { $0 = true }
    }

    /// Waits until raised; false after `timeout`.
    func wait(timeout: Duration = .seconds(10)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !isRaised {
            guard clock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

extension TestStore {
    /// What a failed pull may have left: ingests (in the metadata and on
    /// disk) and committed blobs (in the namespace and on disk).
    struct Leftovers: Equatable, CustomStringConvertible {
        var ingests: [String]
        var ingestDirectories: [String]
        var blobs: Set<Digest>
        var blobFiles: Set<String>

        var description: String {
            "ingests \(ingests), ingest directories \(ingestDirectories), blobs \(blobs.map(\.string).sorted()), "
                + "blob files \(blobFiles.sorted())"
        }
    }

    func leftovers() throws -> Leftovers {
        let root = store.root
        let ingestDirectories = (try? FileManager.default.contentsOfDirectory(atPath: root + "/ingest")) ?? []
        let blobFiles = (try? FileManager.default.contentsOfDirectory(atPath: root + "/blobs/sha256")) ?? []
        return Leftovers(
            ingests: try store.allIngests().map(\.status.ref),
            ingestDirectories: ingestDirectories.sorted(),
            blobs: Set(try store.list(namespace: "default").map(\.digest)),
            blobFiles: Set(blobFiles))
    }
}

extension TestStore {
    /// Expects that a failed pull left no ingest (in the metadata or on disk)
    /// and none of `absent` committed (in the metadata or on disk). An
    /// unreferenced config may stay: the pull commits configs first and
    /// berthd's pull lease and GC remove what a failed pull wrote.
    func expectNothingLeft(
        absent: [Digest], _ context: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let left = try leftovers()
        #expect(left.ingests.isEmpty, "\(context): \(left)", sourceLocation: sourceLocation)
        #expect(left.ingestDirectories.isEmpty, "\(context): \(left)", sourceLocation: sourceLocation)
        for digest in absent {
            #expect(
                !left.blobs.contains(digest), "\(context): \(digest) committed: \(left)", sourceLocation: sourceLocation
            )
            #expect(
                !left.blobFiles.contains(digest.encoded), "\(context): \(digest) on disk: \(left)",
                sourceLocation: sourceLocation)
        }
    }
}
