import BerthContent
import BerthGC
import BerthMetadata
import BerthOCI
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// SIGKILLs our own code mid-write: the test binary re-runs itself with a
/// filter selecting `childWritesUntilKilled`, which (only in that child, told
/// by an environment variable) commits blobs and images through
/// `ContentStore` and `ImageStore` in a loop. After each kill the parent
/// reopens everything and checks the crash-safety invariants.
@Suite struct ProcessCrashTests {
    static let rootVariable = "BERTH_TEST_CRASH_CHILD_ROOT"

    /// The child's loop. A no-op in a normal test run.
    @Test func childWritesUntilKilled() throws {
        guard let root = ProcessInfo.processInfo.environment[Self.rootVariable] else { return }
        let database = try Database(path: root + "/metadata/berth.db", logger: .test)
        let store = try ContentStore(root: root + "/content", metadata: database, logger: .test)
        let images = ImageStore(database: database)
        let tag = getpid()
        for index in 0... {
            let data = (0..<Int.random(in: 1...300_000)).map { _ in UInt8.random(in: 0...255) }
            let writer = try store.writer(ref: "child-\(tag)-\(index)", namespace: "crash")
            var offset = 0
            while offset < data.count {
                let end = min(offset + 16_384, data.count)
                try writer.write(data[offset..<end])
                offset = end
            }
            let info = try writer.commit(labels: ["index": "\(index)"])
            try images.create(
                namespace: "crash",
                Image(
                    name: "img-\(tag)-\(index)",
                    target: Descriptor(mediaType: .ociLayer, digest: info.digest, size: info.size),
                    labels: ["a": "1", "b": "2"]))
        }
    }

    @Test func killedContentWriterLeavesAConsistentStore() throws {
        let directory = try TemporaryDirectory(prefix: "berth-crash")
        defer { directory.remove() }
        let root = directory.path
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        environment.append("\(Self.rootVariable)=\(root)")

        var killed = 0
        for round in 0..<4 {
            let child = try Spawn.launch(
                path: executable,
                arguments: [
                    executable, "--testing-library", "swift-testing", "--filter",
                    "ProcessCrashTests/childWritesUntilKilled",
                ],
                environment: environment)
            if child.pidfd >= 0 { close(child.pidfd) }
            // Let it commit a few images first, then kill it at a random moment.
            let target = (round + 1) * 5
            let deadline = Date().addingTimeInterval(60)
            while try Self.imageCount(root) < target && Date() < deadline {
                usleep(5_000)
            }
            usleep(UInt32.random(in: 0...30_000))
            kill(child.pid, SIGKILL)
            if try Spawn.wait(pid: child.pid) == .signaled(SIGKILL) {
                killed += 1
            }
            try Self.checkInvariants(root)
        }
        #expect(killed == 4)
    }

    static func imageCount(_ root: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: root + "/metadata/berth.db") else { return 0 }
        let database = try Database(path: root + "/metadata/berth.db", logger: .test)
        return try database.read { try $0.query("SELECT COUNT(*) FROM images") { $0.int(0) } }.first ?? 0
    }

    /// After a kill: the database is intact; every visible blob is complete
    /// and matches its digest; every image's target is visible; and GC
    /// removes any file a half-finished commit left behind.
    static func checkInvariants(_ root: String) throws {
        let database = try Database(path: root + "/metadata/berth.db", logger: .test)
        #expect(try database.integrityCheck() == [])
        let store = try ContentStore(root: root + "/content", metadata: database, logger: .test)
        let blobs = try store.list(namespace: "crash")
        for info in blobs {
            let bytes = try store.reader(info.digest, namespace: "crash").readAll()
            #expect(Int64(bytes.count) == info.size)
            #expect(Digest.sha256(of: bytes) == info.digest)
            #expect(info.labels["index"] != nil)
        }
        let visible = Set(blobs.map(\.digest))
        for image in try ImageStore(database: database).list(namespace: "crash") {
            #expect(visible.contains(image.target.digest))
            #expect(image.labels == ["a": "1", "b": "2"])
        }
        // Keep every visible blob, collect leftovers (orphan files, stale ingests).
        for info in blobs {
            var rooted = info
            rooted.labels[Labels.gcRoot] = "1"
            try store.update(rooted, fieldPaths: ["labels.\(Labels.gcRoot)"], namespace: "crash")
        }
        try GarbageCollector(database: database, content: store, ingestGracePeriod: .zero, logger: .test).collect()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: root + "/content/blobs/sha256"))
        #expect(files == Set(visible.map(\.encoded)))
        #expect(try store.list(namespace: "crash").count == blobs.count)
        #expect(try store.allIngests().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/content/ingest").isEmpty)
    }
}
