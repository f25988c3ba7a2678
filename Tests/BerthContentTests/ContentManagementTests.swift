import BerthContent
import BerthErrors
import BerthMetadata
import BerthOCI
import Testing

@Suite struct ContentManagementTests {
    @Test func labelsCanBeReplacedSetAndRemoved() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let digest = try fixture.commit(bytes(10), labels: ["keep": "1", "drop": "2"])
        var info = try fixture.store.info(digest, namespace: "default")
        #expect(info.labels == ["keep": "1", "drop": "2"])

        // labels.<key>: set one, and an empty value removes one.
        info.labels = ["new": "3", "drop": ""]
        info = try fixture.store.update(info, fieldPaths: ["labels.new", "labels.drop"], namespace: "default")
        #expect(info.labels == ["keep": "1", "new": "3"])
        #expect(try fixture.store.info(digest, namespace: "default").labels == ["keep": "1", "new": "3"])

        // No mask, or `labels`: replace all.
        info.labels = ["only": "x"]
        #expect(try fixture.store.update(info, namespace: "default").labels == ["only": "x"])
        info.labels = [:]
        #expect(try fixture.store.update(info, fieldPaths: ["labels"], namespace: "default").labels == [:])

        #expect(
            errorCode { try fixture.store.update(info, fieldPaths: ["size"], namespace: "default") } == .invalidArgument
        )
        info.labels = ["k": String(repeating: "v", count: 5000)]
        #expect(errorCode { try fixture.store.update(info, namespace: "default") } == .invalidArgument)
        var missing = info
        missing.digest = Digest.sha256(of: [1, 2, 3])
        missing.labels = [:]
        #expect(errorCode { try fixture.store.update(missing, namespace: "default") } == .notFound)
    }

    @Test func namespacesSeeOnlyTheirOwnContentAndLabels() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(2_000, seed: 9)
        let digest = try fixture.commit(data, namespace: "a", labels: ["owner": "a"])
        #expect(errorCode { _ = try fixture.store.info(digest, namespace: "b") } == .notFound)
        #expect(errorCode { _ = try fixture.store.reader(digest, namespace: "b") } == .notFound)
        #expect(try fixture.store.list(namespace: "b").isEmpty)

        // The same bytes committed in b share the file but not the labels.
        try fixture.commit(data, namespace: "b", labels: ["owner": "b"])
        #expect(try fixture.store.info(digest, namespace: "a").labels == ["owner": "a"])
        #expect(try fixture.store.info(digest, namespace: "b").labels == ["owner": "b"])
        #expect(try fixture.blobFiles() == [digest.encoded])

        // Deleting from one namespace keeps the file for the other.
        try fixture.store.delete(digest, namespace: "a")
        #expect(errorCode { _ = try fixture.store.info(digest, namespace: "a") } == .notFound)
        #expect(try fixture.store.reader(digest, namespace: "b").readAll() == data)
        #expect(errorCode { try fixture.store.delete(digest, namespace: "a") } == .notFound)
        try fixture.store.delete(digest, namespace: "b")
        #expect(try fixture.blobFiles().isEmpty)
    }

    @Test func listAndWalkApplyFilters() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let small = try fixture.commit(bytes(10), labels: ["containerd.io/gc.root": "x", "kind": "small"])
        let large = try fixture.commit(bytes(1_000), labels: ["kind": "large"])
        let store = fixture.store
        #expect(try store.list(namespace: "default").count == 2)
        #expect(try store.list(filters: ["labels.kind==small"], namespace: "default").map(\.digest) == [small])
        #expect(
            try store.list(filters: [#"labels."containerd.io/gc.root""#], namespace: "default").map(\.digest) == [small]
        )
        #expect(try store.list(filters: ["size==1000"], namespace: "default").map(\.digest) == [large])
        #expect(try store.list(filters: ["digest==\(large)"], namespace: "default").map(\.digest) == [large])
        #expect(try store.list(filters: ["labels.kind==small", "labels.kind==large"], namespace: "default").count == 2)
        #expect(try store.list(filters: ["labels.kind==small,size==1000"], namespace: "default").isEmpty)
        #expect(try store.list(filters: ["labels.kind!=small"], namespace: "default").map(\.digest) == [large])
        var walked: [Digest] = []
        try store.walk(filters: ["labels.kind~=^l"], namespace: "default") { walked.append($0.digest) }
        #expect(walked == [large])
        for bad in ["labels.", "size==", "labels.ns/key==v", ",", "a~=/[/"] {
            #expect(
                errorCode { _ = try store.list(filters: [bad], namespace: "default") } == .invalidArgument, "\(bad)")
        }
    }
}
