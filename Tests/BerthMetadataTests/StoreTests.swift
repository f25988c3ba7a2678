import BerthErrors
import BerthMetadata
import BerthOCI
import Testing

@Suite struct NamespaceTests {
    @Test func namespacesAreCreatedImplicitlyAndDeletedOnlyWhenEmpty() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let namespaces = NamespaceStore(database: fixture.database)
        // Get never fails.
        #expect(try namespaces.get("unknown") == Namespace(name: "unknown"))
        try namespaces.create(Namespace(name: "explicit", labels: ["containerd.io/defaults/snapshotter": "overlayfs"]))
        #expect(errorCode { try namespaces.create(Namespace(name: "explicit")) } == .alreadyExists)
        #expect(errorCode { try namespaces.create(Namespace(name: "bad/name")) } == .invalidArgument)

        // A write creates its namespace.
        try LeaseStore(database: fixture.database).create(namespace: "implicit", id: "l")
        #expect(try namespaces.list().map(\.name) == ["explicit", "implicit"])
        #expect(errorCode { try namespaces.delete("implicit") } == .failedPrecondition)
        try LeaseStore(database: fixture.database).delete(namespace: "implicit", id: "l")
        try namespaces.delete("implicit")
        #expect(errorCode { try namespaces.delete("implicit") } == .notFound)

        let updated = try namespaces.update(Namespace(name: "explicit", labels: ["a": "1"]), fieldPaths: ["labels.a"])
        #expect(updated.labels == ["containerd.io/defaults/snapshotter": "overlayfs", "a": "1"])
        #expect(try namespaces.update(Namespace(name: "explicit", labels: ["b": "2"])).labels == ["b": "2"])
        #expect(
            errorCode { try namespaces.update(Namespace(name: "explicit"), fieldPaths: ["name"]) } == .invalidArgument)
    }
}

@Suite struct ImageStoreTests {
    static let target = descriptor(.ociManifest, Array("{\"schemaVersion\":2}".utf8))

    @Test func imagesCreateGetUpdateDelete() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let images = ImageStore(database: fixture.database)
        let created = try images.create(
            namespace: "default",
            Image(name: "docker.io/library/busybox:latest", target: Self.target, labels: ["a": "1"]))
        #expect(created.createdAt == created.updatedAt)
        #expect(created.createdAt.nanoseconds > 0)
        #expect(try images.get(namespace: "default", name: created.name) == created)
        #expect(errorCode { try images.create(namespace: "default", created) } == .alreadyExists)

        var change = created
        change.labels = ["b": "2"]
        change.target.setAnnotation("org.example", "x")
        let labelOnly = try images.update(namespace: "default", change, fieldPaths: ["labels.b"])
        #expect(labelOnly.labels == ["a": "1", "b": "2"])
        #expect(labelOnly.target == Self.target)
        #expect(labelOnly.createdAt == created.createdAt)
        let annotated = try images.update(namespace: "default", change, fieldPaths: ["annotations.org.example"])
        #expect(annotated.target.annotation("org.example") == "x")
        // No mask: everything but createdAt.
        let replaced = try images.update(namespace: "default", change)
        #expect(replaced.labels == ["b": "2"] && replaced.createdAt == created.createdAt)
        #expect(errorCode { try images.update(namespace: "default", change, fieldPaths: ["name"]) } == .invalidArgument)
        var unknown = change
        unknown.name = "missing"
        #expect(errorCode { try images.update(namespace: "default", unknown) } == .notFound)

        try images.delete(namespace: "default", name: created.name)
        #expect(errorCode { try images.delete(namespace: "default", name: created.name) } == .notFound)
        #expect(errorCode { _ = try images.get(namespace: "default", name: created.name) } == .notFound)
    }

    @Test func invalidImagesAreRejected() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let images = ImageStore(database: fixture.database)
        var empty = Self.target
        empty.size = 0
        #expect(
            errorCode { try images.create(namespace: "default", Image(name: "", target: Self.target)) }
                == .invalidArgument)
        #expect(
            errorCode { try images.create(namespace: "default", Image(name: "x", target: empty)) } == .invalidArgument)
        var untyped = Self.target
        untyped.mediaType = MediaType("")
        #expect(
            errorCode { try images.create(namespace: "default", Image(name: "x", target: untyped)) } == .invalidArgument
        )
    }

    @Test func imagesAreIsolatedPerNamespaceAndFiltered() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let images = ImageStore(database: fixture.database)
        try images.create(namespace: "a", Image(name: "alpine", target: Self.target, labels: ["os": "linux"]))
        try images.create(namespace: "a", Image(name: "busybox", target: Self.target))
        try images.create(namespace: "b", Image(name: "alpine", target: Self.target, labels: ["os": "b"]))
        #expect(try images.list(namespace: "a").map(\.name) == ["alpine", "busybox"])
        #expect(try images.list(namespace: "b").map(\.name) == ["alpine"])
        #expect(try images.get(namespace: "b", name: "alpine").labels == ["os": "b"])
        #expect(errorCode { _ = try images.get(namespace: "b", name: "busybox") } == .notFound)
        #expect(try images.list(namespace: "c").isEmpty)
        try images.delete(namespace: "b", name: "alpine")
        #expect(try images.get(namespace: "a", name: "alpine").labels == ["os": "linux"])

        #expect(try images.list(namespace: "a", filters: ["labels.os==linux"]).map(\.name) == ["alpine"])
        #expect(try images.list(namespace: "a", filters: ["name~=^b"]).map(\.name) == ["busybox"])
        #expect(
            try images.list(namespace: "a", filters: ["target.mediatype==\(MediaType.ociManifest)"]).count == 2)
        #expect(try images.list(namespace: "a", filters: ["target.digest==\(Self.target.digest)"]).count == 2)
        #expect(errorCode { _ = try images.list(namespace: "a", filters: ["name=="]) } == .invalidArgument)
    }
}

@Suite struct LeaseStoreTests {
    @Test func leasesAndResources() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let leases = LeaseStore(database: fixture.database)
        let lease = try leases.create(
            namespace: "default", id: "pull-1", labels: [Labels.gcExpire: "2999-01-01T00:00:00Z"])
        #expect(lease.expiresAt == Timestamp(rfc3339: "2999-01-01T00:00:00Z"))
        #expect(!lease.isExpired())
        #expect(errorCode { try leases.create(namespace: "default", id: "pull-1") } == .alreadyExists)
        #expect(errorCode { try leases.create(namespace: "default", id: "") } == .unknown)
        try leases.create(namespace: "default", id: "other", labels: ["kind": "x"])
        #expect(try leases.list(namespace: "default", filters: ["labels.kind==x"]).map(\.id) == ["other"])
        #expect(try leases.list(namespace: "default", filters: ["id==pull-1"]).map(\.id) == ["pull-1"])
        #expect(try leases.list(namespace: "elsewhere").isEmpty)

        let digest = Digest.sha256(of: [1])
        try leases.addResource(namespace: "default", lease: "pull-1", LeaseResource(id: digest.string, type: "content"))
        try leases.addResource(
            namespace: "default", lease: "pull-1", LeaseResource(id: "key", type: "snapshots/overlayfs"))
        try leases.addResource(namespace: "default", lease: "pull-1", LeaseResource(id: "ref", type: "ingests"))
        #expect(try leases.listResources(namespace: "default", lease: "pull-1").count == 3)
        #expect(
            errorCode {
                try leases.addResource(
                    namespace: "default", lease: "pull-1", LeaseResource(id: "nope", type: "content"))
            } == .invalidArgument)
        #expect(
            errorCode {
                try leases.addResource(
                    namespace: "default", lease: "pull-1", LeaseResource(id: "x", type: "containers"))
            } == .notImplemented)
        #expect(
            errorCode {
                try leases.addResource(namespace: "default", lease: "missing", LeaseResource(id: "x", type: "ingests"))
            } == .notFound)
        try leases.deleteResource(namespace: "default", lease: "pull-1", LeaseResource(id: "ref", type: "ingests"))
        #expect(try leases.listResources(namespace: "default", lease: "pull-1").count == 2)

        try leases.delete(namespace: "default", id: "pull-1")
        #expect(errorCode { try leases.delete(namespace: "default", id: "pull-1") } == .notFound)
        #expect(errorCode { _ = try leases.listResources(namespace: "default", lease: "pull-1") } == .notFound)
        // Resources went with the lease.
        let orphans = try fixture.database.read { try $0.query("SELECT COUNT(*) FROM lease_resources") { $0.int(0) } }
        #expect(orphans == [0])
    }
}

@Suite struct ContainerStoreTests {
    static let spec = TypedValue(
        typeURL: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: Array("{}".utf8))

    @Test func containersCreateGetUpdateDelete() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let containers = ContainerStore(database: fixture.database)
        let record = Container(
            id: "web", labels: ["app": "web"], image: "docker.io/library/nginx:latest",
            runtime: Container.Runtime(
                name: "io.containerd.runc.v2", options: TypedValue(typeURL: "opts", value: [1, 2])),
            spec: Self.spec, snapshotter: "overlayfs", snapshotKey: "web",
            extensions: ["ext": TypedValue(typeURL: "t", value: [9])])
        let created = try containers.create(namespace: "default", record)
        #expect(try containers.get(namespace: "default", id: "web") == created)
        #expect(errorCode { try containers.create(namespace: "default", record) } == .alreadyExists)
        #expect(errorCode { _ = try containers.get(namespace: "other", id: "web") } == .notFound)

        var change = created
        change.image = "docker.io/library/nginx:1"
        change.labels = ["app": "web", "tier": "front"]
        let updated = try containers.update(namespace: "default", change, fieldPaths: ["image", "labels.tier"])
        #expect(updated.image == change.image && updated.labels == change.labels)
        #expect(updated.extensions == created.extensions && updated.runtime == created.runtime)
        change.runtime.name = "other"
        #expect(errorCode { try containers.update(namespace: "default", change) } == .invalidArgument)
        #expect(
            errorCode { try containers.update(namespace: "default", change, fieldPaths: ["runtime"]) }
                == .invalidArgument)

        #expect(try containers.list(namespace: "default", filters: ["labels.tier==front"]).map(\.id) == ["web"])
        #expect(try containers.list(namespace: "default", filters: ["runtime.name==io.containerd.runc.v2"]).count == 1)

        var invalid = record
        invalid.id = "two"
        invalid.spec = nil
        #expect(errorCode { try containers.create(namespace: "default", invalid) } == .invalidArgument)
        invalid.spec = Self.spec
        invalid.snapshotter = ""
        #expect(errorCode { try containers.create(namespace: "default", invalid) } == .invalidArgument)

        try containers.delete(namespace: "default", id: "web")
        #expect(errorCode { try containers.delete(namespace: "default", id: "web") } == .notFound)
        #expect(try fixture.database.integrityCheck() == [])
    }
}
