import BerthContent
import BerthErrors
import BerthGC
import BerthMetadata
import BerthOCI
import BerthTestSupport
import Foundation
import Synchronization
import Testing

/// An in-memory snapshotter that refuses to remove a snapshot with children,
/// so removal order is checked.
final class FakeSnapshotter: SnapshotCollector {
    let snapshotterName = "fake"
    let snapshots: Mutex<[SnapshotRecord]>

    init(_ snapshots: [SnapshotRecord]) {
        self.snapshots = Mutex(snapshots)
    }

    var keys: [String] {
        snapshots.withLock { $0.map(\.key).sorted() }
    }

    func walkSnapshots() throws -> [SnapshotRecord] {
        snapshots.withLock { $0 }
    }

    func removeSnapshot(namespace: String, key: String) throws {
        try snapshots.withLock { records in
            if records.contains(where: { $0.namespace == namespace && $0.parent == key }) {
                throw MetadataError(.failedPrecondition, "snapshot \(key) has children")
            }
            records.removeAll { $0.namespace == namespace && $0.key == key }
        }
    }
}

struct GCFixture {
    let metadata: MetadataFixture
    let content: ContentStore
    let snapshots: FakeSnapshotter
    let collector: GarbageCollector

    init(snapshots: [SnapshotRecord] = []) throws {
        metadata = try MetadataFixture()
        content = try ContentStore(
            root: metadata.directory.path + "/content", metadata: metadata.database, logger: .test)
        self.snapshots = FakeSnapshotter(snapshots)
        collector = GarbageCollector(
            database: metadata.database, content: content, snapshotters: [self.snapshots], ingestGracePeriod: .zero,
            logger: .test)
    }

    func remove() {
        metadata.remove()
    }

    @discardableResult
    func commit(_ bytes: [UInt8], _ mediaType: MediaType, namespace: String = "default", labels: [String: String] = [:])
        throws -> Descriptor
    {
        let target = Descriptor(mediaType: mediaType, content: bytes)
        let writer = try content.writer(ref: "w-\(target.digest.encoded)", namespace: namespace)
        try writer.write(bytes)
        try writer.commit(expected: target.digest, labels: labels)
        return target
    }

    func blobs(_ namespace: String = "default") throws -> Set<Digest> {
        Set(try content.list(namespace: namespace).map(\.digest))
    }

    func filesOnDisk() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: content.root + "/blobs/sha256"))
    }

    /// A real image: index → manifest → config + two layers.
    func commitImage(seed: UInt8) throws -> (index: Descriptor, all: [Descriptor]) {
        let layer1 = try commit((0..<3000).map { UInt8(truncatingIfNeeded: $0 &+ Int(seed)) }, .ociLayerGzip)
        let layer2 = try commit((0..<500).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }, .ociLayerGzip)
        var imageConfig = ImageConfig(architecture: "amd64", os: "linux")
        imageConfig.author = "seed \(seed)"
        let config = try commit(Array(try JSONEncoder().encode(imageConfig)), .ociConfig)
        let manifest = try commit(
            Array(try JSONEncoder().encode(Manifest(config: config, layers: [layer1, layer2]))), .ociManifest)
        var platformManifest = manifest
        platformManifest.platform = Platform(os: "linux", architecture: "amd64")
        let index = try commit(Array(try JSONEncoder().encode(Index(manifests: [platformManifest]))), .ociIndex)
        return (index, [index, manifest, config, layer1, layer2])
    }
}

@Suite struct GarbageCollectorTests {
    @Test func imagesKeepTheirWholeGraphAndUnreferencedBlobsGo() throws {
        let fixture = try GCFixture()
        defer { fixture.remove() }
        let image = try fixture.commitImage(seed: 1)
        let orphan = try fixture.commit(Array("orphan".utf8), .ociLayer)
        try ImageStore(database: fixture.metadata.database).create(
            namespace: "default", Image(name: "example.com/app:1", target: image.index))

        let report = try fixture.collector.collect()
        #expect(report.content.map(\.digest) == [orphan.digest])
        #expect(report.blobs == [orphan.digest])
        #expect(try fixture.blobs() == Set(image.all.map(\.digest)))
        #expect(try fixture.filesOnDisk() == Set(image.all.map(\.digest.encoded)))

        // Deleting the image with sync collects everything it held.
        let second = try fixture.collector.deleteImage(namespace: "default", name: "example.com/app:1", sync: true)
        #expect(Set(second?.blobs ?? []) == Set(image.all.map(\.digest)))
        #expect(try fixture.blobs().isEmpty)
        #expect(try fixture.filesOnDisk().isEmpty)
        #expect(
            errorCode { try fixture.collector.deleteImage(namespace: "default", name: "example.com/app:1", sync: true) }
                == .notFound)
    }

    @Test func sharedBlobsSurviveWhileAnyNamespaceReferencesThem() throws {
        let fixture = try GCFixture()
        defer { fixture.remove() }
        let shared = Array("shared layer".utf8)
        let inA = try fixture.commit(shared, .ociLayer, namespace: "a", labels: [Labels.gcRoot: "1"])
        try fixture.commit(shared, .ociLayer, namespace: "b")
        let report = try fixture.collector.collect()
        #expect(report.content == [.init(namespace: "b", digest: inA.digest)])
        #expect(report.blobs.isEmpty)
        #expect(try fixture.filesOnDisk() == [inA.digest.encoded])
    }

    @Test func gcRefLabelsAndRootsAreFollowed() throws {
        let fixture = try GCFixture(snapshots: [
            SnapshotRecord(namespace: "default", key: "base"),
            SnapshotRecord(namespace: "default", key: "top", parent: "base"),
            SnapshotRecord(namespace: "default", key: "loose"),
        ])
        defer { fixture.remove() }
        let child = try fixture.commit(Array("child".utf8), .ociLayer)
        let grandchild = try fixture.commit(Array("grandchild".utf8), .ociLayer)
        try fixture.commit(
            Array("referrer".utf8), .ociConfig, labels: ["containerd.io/gc.ref.content.l.0": grandchild.digest.string])
        // Unreferenced itself, so its reference does not count either.
        let parent = try fixture.commit(
            Array("parent".utf8), .ociConfig,
            labels: [
                Labels.gcRoot: "2024-01-01T00:00:00Z", "containerd.io/gc.ref.content.config": child.digest.string,
                "containerd.io/gc.ref.snapshot.fake": "top",
            ])
        try fixture.collector.collect()
        #expect(try fixture.blobs() == [parent.digest, child.digest])
        // top is referenced, base is its parent; loose goes.
        #expect(fixture.snapshots.keys == ["base", "top"])
    }

    @Test func leasesProtectUntilTheyExpire() throws {
        let fixture = try GCFixture(snapshots: [SnapshotRecord(namespace: "default", key: "leased")])
        defer { fixture.remove() }
        let leases = LeaseStore(database: fixture.metadata.database)
        try leases.create(
            namespace: "default", id: "live", labels: [Labels.gcExpire: Timestamp.now().adding(.seconds(3600)).rfc3339])
        try leases.create(namespace: "default", id: "dead", labels: [Labels.gcExpire: "2000-01-01T00:00:00Z"])
        let kept = try fixture.commit(Array("kept".utf8), .ociLayer)
        let expired = try fixture.commit(Array("expired".utf8), .ociLayer)
        try leases.addResource(
            namespace: "default", lease: "live", LeaseResource(id: kept.digest.string, type: "content"))
        try leases.addResource(namespace: "default", lease: "live", LeaseResource(id: "leased", type: "snapshots/fake"))
        try leases.addResource(
            namespace: "default", lease: "dead", LeaseResource(id: expired.digest.string, type: "content"))

        let report = try fixture.collector.collect()
        #expect(try fixture.blobs() == [kept.digest])
        #expect(report.leases == ["default/dead"])
        #expect(try leases.list(namespace: "default").map(\.id) == ["live"])
        #expect(fixture.snapshots.keys == ["leased"])

        try leases.delete(namespace: "default", id: "live")
        try fixture.collector.collect()
        #expect(try fixture.blobs().isEmpty)
        #expect(fixture.snapshots.keys.isEmpty)
    }

    @Test func flatLeasesDoNotFollowReferences() throws {
        let fixture = try GCFixture()
        defer { fixture.remove() }
        let image = try fixture.commitImage(seed: 2)
        let leases = LeaseStore(database: fixture.metadata.database)
        try leases.create(namespace: "default", id: "flat", labels: [Labels.gcFlat: "1"])
        try leases.addResource(
            namespace: "default", lease: "flat", LeaseResource(id: image.index.digest.string, type: "content"))
        try fixture.collector.collect()
        #expect(try fixture.blobs() == [image.index.digest])
    }

    @Test func snapshotsGoChildrenFirstAndContainersKeepTheirs() throws {
        let fixture = try GCFixture(snapshots: [
            SnapshotRecord(namespace: "default", key: "l1"),
            SnapshotRecord(namespace: "default", key: "l2", parent: "l1"),
            SnapshotRecord(namespace: "default", key: "rootfs", parent: "l2"),
            SnapshotRecord(namespace: "default", key: "u1"),
            SnapshotRecord(namespace: "default", key: "u2", parent: "u1"),
            SnapshotRecord(namespace: "default", key: "u3", parent: "u2"),
            SnapshotRecord(namespace: "other", key: "l1"),
            SnapshotRecord(namespace: "default", key: "pinned", labels: [Labels.gcRoot: "x"]),
        ])
        defer { fixture.remove() }
        try ContainerStore(database: fixture.metadata.database).create(
            namespace: "default",
            Container(
                id: "c1", runtime: .init(name: "io.containerd.runc.v2"), spec: TypedValue(typeURL: "spec", value: []),
                snapshotter: "fake", snapshotKey: "rootfs"))
        let report = try fixture.collector.collect()
        #expect(fixture.snapshots.keys == ["l1", "l2", "pinned", "rootfs"])
        #expect(report.snapshotFailures.isEmpty)
        #expect(report.snapshots.filter { $0.namespace == "default" }.map(\.key) == ["u3", "u2", "u1"])
        #expect(report.snapshots.contains { $0.namespace == "other" && $0.key == "l1" })
    }

    @Test func abandonedIngestsAreAbortedButLockedAndLeasedOnesStay() throws {
        let fixture = try GCFixture()
        defer { fixture.remove() }
        try LeaseStore(database: fixture.metadata.database).create(namespace: "default", id: "pull")
        for ref in ["abandoned", "leased"] {
            let writer = try fixture.content.writer(
                ref: ref, namespace: "default", lease: ref == "leased" ? "pull" : nil)
            try writer.write([1, 2, 3])
            writer.close()
        }
        let active = try fixture.content.writer(ref: "active", namespace: "default")
        try active.write([4])
        let report = try fixture.collector.collect()
        #expect(report.ingests == ["default/abandoned"])
        #expect(try fixture.content.listStatuses(namespace: "default").map(\.ref) == ["active", "leased"])
        try active.write([5])
        #expect(try active.commit().size == 2)
    }
}
