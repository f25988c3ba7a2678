import BerthContent
import BerthErrors
import BerthOCI
import BerthSnapshots
import BerthTestSupport
import BerthUnpack
import Foundation
import NIOHTTP1
import Testing

@testable import BerthRegistry

/// Hostile layers from a registry, through pull and the streaming unpack (a
/// `ByteChannel` per layer, as berthd does). The registry sends the first
/// 1.25 MiB of the layer (more than the client's 1 MiB write chunk, so the
/// unpacker sees it) and holds the rest until the unpack has failed: the
/// layer is refused while it downloads, so its blob is never committed.
///
/// Not covered here: a layer small enough to be fully downloaded before the
/// unpacker refuses it. Its blob (digest-valid) and the manifest are then
/// committed; berthd's pull lease and GC remove them.
@Suite("Hostile registries: layers through pull and unpack", .serialized)
struct HostileRegistryUnpackTests {
    /// The bytes sent before the registry holds the layer back.
    static let sentFirst = 5 << 18

    struct Outcome {
        var unpackError: UnpackError?
        var pullFailure: (ErrorCode, String)?
        var snapshots: [String]
        var snapshotDirectories: [String]
    }

    /// Pulls a one-layer image whose layer is `layer` (uncompressed digest
    /// `diffID`) into `store` while unpacking it with `limits` into a
    /// `driver` snapshotter under `scratch`.
    static func pullAndUnpack(
        layer: [UInt8], diffID: Digest, limits: UnpackLimits, driver: LocalSnapshotter.Driver, store: TestStore,
        scratch: String
    ) async throws -> (Outcome, Descriptor, Descriptor) {
        var registry = ScriptedRegistry()
        let (descriptor, manifest) = registry.addImage(tag: "latest", layer: layer, diffID: diffID)
        let root = scratch + "/snapshots"
        let snapshotter = try LocalSnapshotter(driver: driver, root: root, logger: testLogger)
        let sink = StreamingUnpackSink(
            unpacker: Unpacker(snapshotter: snapshotter, logger: testLogger, options: .init(limits: limits)))
        let layerPath = "/v2/\(ScriptedRegistry.repository)/blobs/\(descriptor.digest)"
        let failed = sink.failed
        registry.override = { request in
            guard request.path == layerPath, request.method == .GET else { return nil }
            return TestResponse(
                .ok, headers: [("Content-Length", "\(layer.count)")], body: Array(layer.prefix(sentFirst)),
                stream: { index in
                    guard index == 0 else { return nil }
                    _ = await failed.wait()
                    return Array(layer.dropFirst(sentFirst))
                })
        }
        let server = try await TestHTTPServer.start(handler: registry.handler())
        defer { Task { await server.stop() } }
        let pullFailure = await errorCode {
            try await withClient(makeClient(plainHTTP: [server.host], maxAttempts: 2)) { client in
                _ = try await client.pull(
                    ImageReference(parsing: "\(server.host)/\(ScriptedRegistry.repository):latest"),
                    into: store.access, options: PullOptions(layerSink: sink))
            }
        }
        var unpackError: UnpackError?
        do {
            _ = try await sink.result()
        } catch let error as UnpackError {
            unpackError = error
        }
        let outcome = Outcome(
            unpackError: unpackError, pullFailure: pullFailure,
            snapshots: try snapshotter.list(namespace: "default").map(\.name),
            snapshotDirectories: (try? FileManager.default.contentsOfDirectory(atPath: root + "/snapshots")) ?? [])
        return (outcome, descriptor, manifest)
    }

    /// The unpack refused the layer naming it (and `entry`), the pull failed
    /// naming it, and nothing is left: no snapshot, no ingest, no layer or manifest blob.
    static func expectRefused(
        _ outcome: Outcome, layer: Descriptor, manifest: Descriptor, code: ErrorCode, entry: String,
        store: TestStore
    ) throws {
        let error = outcome.unpackError
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.layer == layer.digest, "\(String(describing: error))")
        #expect(error?.message.contains(layer.digest.string) == true, "\(String(describing: error))")
        #expect(error?.entry == entry, "\(String(describing: error))")
        // The download stops once the unpacker closed the layer's channel.
        #expect(outcome.pullFailure?.0 == .aborted, "\(String(describing: outcome.pullFailure))")
        #expect(outcome.pullFailure?.1.contains(layer.digest.string) == true)
        #expect(outcome.snapshots.isEmpty, "snapshots left: \(outcome.snapshots)")
        #expect(outcome.snapshotDirectories.isEmpty, "snapshot directories left: \(outcome.snapshotDirectories)")
        try store.expectNothingLeft(absent: [layer.digest, manifest.digest], "\(code)")
    }

    @Test(
        "a layer with a path-escape entry is refused during the pull, nothing written outside or left",
        arguments: [LocalSnapshotter.Driver.overlayfs, .native])
    func pathEscape(driver: LocalSnapshotter.Driver) async throws {
        let scratch = try TemporaryDirectory(prefix: "berth-hostile-escape")
        defer { scratch.remove() }
        let store = try TestStore()
        defer { store.remove() }
        // From <scratch>/snapshots/snapshots/<id>/fs, four levels up is <scratch>.
        let escape = "../../../../escaped"
        // The padding (incompressible) comes after the hostile entry, so the
        // first 1.25 MiB reach the unpacker while the rest is held back.
        let tar = HostileLayers.tar([(escape, Array("pwned\n".utf8)), ("padding", FaultTests.randomBytes(3 << 19))])
        let layer = try HostileLayers.gzip(tar, in: scratch.path)
        let (outcome, descriptor, manifest) = try await Self.pullAndUnpack(
            layer: layer, diffID: Digest.sha256(of: tar), limits: UnpackLimits(), driver: driver, store: store,
            scratch: scratch.path)
        try Self.expectRefused(
            outcome, layer: descriptor, manifest: manifest, code: .invalidArgument, entry: escape, store: store)
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/escaped"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/snapshots/escaped"))
    }

    @Test(
        "a gzip bomb is capped by the configured unpack limit, the error names the layer",
        arguments: [LocalSnapshotter.Driver.overlayfs, .native])
    func decompressionBomb(driver: LocalSnapshotter.Driver) async throws {
        let scratch = try TemporaryDirectory(prefix: "berth-hostile-bomb")
        defer { scratch.remove() }
        let store = try TestStore()
        defer { store.remove() }
        // About 1.76 MB of gzip (6 members) that expands to 384 MiB, against a 1 MiB limit.
        let members = 6
        let layer = try HostileLayers.bomb(members: members, in: scratch.path)
        #expect(layer.count > Self.sentFirst && layer.count < 4 << 20, "\(layer.count) bytes")
        // The unpack stops at the first entry, before any diff ID check:
        // a made-up diff ID spares hashing 384 MiB.
        let (outcome, descriptor, manifest) = try await Self.pullAndUnpack(
            layer: layer, diffID: Digest.sha256(of: Array("bomb".utf8)),
            limits: UnpackLimits(maxEntries: 100, maxBytes: 1 << 20), driver: driver, store: store,
            scratch: scratch.path)
        try Self.expectRefused(
            outcome, layer: descriptor, manifest: manifest, code: .resourceExhausted, entry: "bomb", store: store)
        #expect(outcome.unpackError?.message.contains("more than \(1 << 20) bytes") == true)
    }
}
