import BerthErrors
import BerthMetadata
import BerthOCI
import Testing

@testable import BerthContent

@Suite struct IngestTests {
    @Test func writeCommitAndRead() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(100_000)
        let digest = Digest.sha256(of: data)
        let writer = try fixture.store.writer(ref: "layer-1", total: Int64(data.count), namespace: "default")
        try writer.write(data[..<40_000])
        try data[40_000...].withUnsafeBytes { try writer.write($0) }
        #expect(writer.offset == Int64(data.count))
        #expect(writer.digest == digest)
        let info = try writer.commit(size: Int64(data.count), expected: digest, labels: ["a": "b"])
        #expect(info.digest == digest && info.size == Int64(data.count) && info.labels == ["a": "b"])

        let reader = try fixture.store.reader(digest, namespace: "default")
        #expect(try reader.readAll() == data)
        #expect(try reader.read(at: 10, count: 5) == Array(data[10..<15]))
        #expect(try reader.read(at: 99_990, count: 100) == Array(data[99_990...]))
        #expect(try reader.read(at: Int64(data.count), count: 10) == [])
        #expect(errorCode { _ = try reader.read(at: Int64(data.count) + 1, count: 1) } == .outOfRange)
        #expect(try fixture.store.path(for: digest, namespace: "default") == fixture.store.blobPath(digest))
        #expect(try fixture.store.contains(digest, namespace: "default"))
        // The ingest is gone after a commit.
        #expect(errorCode { _ = try fixture.store.status(ref: "layer-1", namespace: "default") } == .notFound)
        #expect(try FileManagerLite.list(fixture.store.root + "/ingest") == [])
    }

    @Test func ingestResumesAtItsOffset() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(3 << 20, seed: 7)
        let digest = Digest.sha256(of: data)
        let half = data.count / 2

        let first = try fixture.store.writer(
            ref: "resume", total: Int64(data.count), expected: digest, namespace: "default")
        #expect(first.offset == 0)
        try first.write(data[..<half])
        first.close()

        let status = try fixture.store.status(ref: "resume", namespace: "default")
        #expect(status.offset == Int64(half))
        #expect(status.total == Int64(data.count))
        #expect(status.expected == digest)

        // A new writer (say, after the connection broke) reports where to go on.
        let second = try fixture.store.writer(ref: "resume", namespace: "default")
        #expect(second.offset == Int64(half))
        #expect(second.total == Int64(data.count))
        try second.write(data[half...])
        let info = try second.commit()
        #expect(info.digest == digest)
        #expect(try fixture.store.reader(digest, namespace: "default").readAll() == data)
    }

    @Test func truncateStartsOver() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(10_000, seed: 3)
        let digest = Digest.sha256(of: data)
        let first = try fixture.store.writer(ref: "restart", namespace: "default")
        try first.write(bytes(5_000, seed: 99))
        first.close()

        let second = try fixture.store.writer(ref: "restart", expected: digest, namespace: "default")
        #expect(second.offset == 5_000)
        try second.truncate(to: 0)
        #expect(second.offset == 0)
        try second.write(data)
        #expect(try second.commit(expected: digest).digest == digest)
    }

    @Test func writeAtOffsetFollowsContainerdRules() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(1_000)
        let writer = try fixture.store.writer(ref: "offsets", namespace: "default")
        try data[..<500].withUnsafeBytes { try writer.write($0, at: 0) }
        // Wrong offset: OutOfRange.
        #expect(errorCode { try data[500...].withUnsafeBytes { try writer.write($0, at: 400) } } == .outOfRange)
        // Offset 0 on a non-empty ingest restarts it.
        try data[..<500].withUnsafeBytes { try writer.write($0, at: 0) }
        #expect(writer.offset == 500)
        try data[500...].withUnsafeBytes { try writer.write($0, at: 500) }
        #expect(try writer.commit(expected: Digest.sha256(of: data)).size == 1_000)
    }

    @Test func wrongDigestOrSizeIsRejectedAndNothingIsVisible() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(4_096)
        let digest = Digest.sha256(of: data)
        let wrong = Digest.sha256(of: bytes(4_096, seed: 2))

        let writer = try fixture.store.writer(ref: "bad", namespace: "default")
        try writer.write(data)
        #expect(errorCode { try writer.commit(size: 4_096, expected: wrong) } == .failedPrecondition)
        #expect(errorCode { try writer.commit(size: 4_000, expected: digest) } == .failedPrecondition)
        writer.close()

        // An expected digest given when opening is checked too.
        let other = try fixture.store.writer(ref: "bad-expected", total: 4_096, expected: wrong, namespace: "default")
        try other.write(data)
        #expect(errorCode { try other.commit() } == .failedPrecondition)
        other.close()

        // A total given when opening is checked at commit.
        let short = try fixture.store.writer(ref: "bad-total", total: 5_000, namespace: "default")
        try short.write(data)
        #expect(errorCode { try short.commit() } == .failedPrecondition)
        short.close()

        #expect(try fixture.store.list(namespace: "default").isEmpty)
        #expect(try !fixture.store.contains(digest, namespace: "default"))
        #expect(try fixture.blobFiles().isEmpty)
        #expect(!FileManagerLite.exists(fixture.store.blobPath(digest)))
        // The ingests stay, resumable or abortable.
        #expect(
            try fixture.store.listStatuses(namespace: "default").map(\.ref) == ["bad", "bad-expected", "bad-total"])
    }

    @Test func partialBlobIsNeverVisible() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(200_000, seed: 5)
        let digest = Digest.sha256(of: data)
        let writer = try fixture.store.writer(ref: "partial", expected: digest, namespace: "default")
        for chunk in stride(from: 0, to: data.count, by: 50_000) {
            try writer.write(data[chunk..<chunk + 50_000])
            #expect(try fixture.store.list(namespace: "default").isEmpty)
            #expect(try fixture.blobFiles().isEmpty)
            #expect(errorCode { _ = try fixture.store.info(digest, namespace: "default") } == .notFound)
            #expect(errorCode { _ = try fixture.store.reader(digest, namespace: "default") } == .notFound)
            #expect(try fixture.store.status(ref: "partial", namespace: "default").offset == Int64(chunk + 50_000))
        }
        try writer.commit()
        #expect(try fixture.store.list(namespace: "default").map(\.digest) == [digest])
        #expect(try fixture.blobFiles() == [digest.encoded])
    }

    @Test func secondWriterOnLockedRefIsUnavailable() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let first = try fixture.store.writer(ref: "locked", namespace: "default")
        #expect(errorCode { _ = try fixture.store.writer(ref: "locked", namespace: "default") } == .unavailable)
        #expect(errorCode { try fixture.store.abort(ref: "locked", namespace: "default") } == .unavailable)
        // The same ref in another namespace is a different ingest.
        let elsewhere = try fixture.store.writer(ref: "locked", namespace: "other")
        elsewhere.close()
        first.close()
        let again = try fixture.store.writer(ref: "locked", namespace: "default")
        again.close()
    }

    @Test func committingAnExistingBlobIsAlreadyExistsAndRemovesTheIngest() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let data = bytes(1_000)
        let digest = try fixture.commit(data)
        // With `expected`, the writer refuses at once.
        #expect(
            errorCode { _ = try fixture.store.writer(ref: "dup", expected: digest, namespace: "default") }
                == .alreadyExists)
        // Without, the commit does, and the ingest goes.
        let writer = try fixture.store.writer(ref: "dup", namespace: "default")
        try writer.write(data)
        #expect(errorCode { try writer.commit() } == .alreadyExists)
        #expect(errorCode { _ = try fixture.store.status(ref: "dup", namespace: "default") } == .notFound)
        #expect(try fixture.store.info(digest, namespace: "default").size == 1_000)
    }

    @Test func statusesFilterAndAbort() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        for ref in ["alpha-1", "alpha-2", "beta"] {
            let writer = try fixture.store.writer(ref: ref, namespace: "default")
            try writer.write(bytes(10))
            writer.close()
        }
        #expect(
            try fixture.store.listStatuses(filters: ["ref~=^alpha"], namespace: "default").map(\.ref) == [
                "alpha-1", "alpha-2",
            ])
        #expect(try fixture.store.listStatuses(filters: [""], namespace: "default").count == 3)
        #expect(try fixture.store.listStatuses(namespace: "other").isEmpty)
        #expect(
            errorCode { _ = try fixture.store.listStatuses(filters: ["ref=="], namespace: "default") }
                == .invalidArgument)
        try fixture.store.abort(ref: "beta", namespace: "default")
        #expect(errorCode { try fixture.store.abort(ref: "beta", namespace: "default") } == .notFound)
        #expect(errorCode { _ = try fixture.store.status(ref: "beta", namespace: "default") } == .notFound)
        #expect(try fixture.store.listStatuses(namespace: "default").count == 2)
    }

    @Test func leasedWritesAttachIngestThenBlob() throws {
        let fixture = try ContentFixture()
        defer { fixture.remove() }
        let leases = LeaseStore(database: fixture.database)
        #expect(errorCode { _ = try fixture.store.writer(ref: "r", namespace: "default", lease: "nope") } == .notFound)
        try leases.create(namespace: "default", id: "pull")
        let data = bytes(64)
        let writer = try fixture.store.writer(ref: "r", namespace: "default", lease: "pull")
        #expect(
            try leases.listResources(namespace: "default", lease: "pull") == [LeaseResource(id: "r", type: "ingests")])
        try writer.write(data)
        let info = try writer.commit()
        #expect(
            try leases.listResources(namespace: "default", lease: "pull")
                == [LeaseResource(id: info.digest.string, type: "content")])
    }
}
