import BerthMetadata
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// A SIGKILL at any instant must leave a consistent database. The writer is
/// a real separate process, the `sqlite3` shell, running multi-row
/// transactions in a loop against our schema with our pragmas; it is killed
/// at random moments, then `Database` reopens the file (WAL recovery), runs
/// `integrity_check`, checks that every transaction is all-or-nothing, and
/// writes through the Swift wrapper.
@Suite struct CrashSafetyTests {
    static let sqlite3 = "/usr/bin/sqlite3"

    /// One transaction: an image with three labels, a blob with two labels and
    /// a lease holding the blob. Either all of these rows exist or none.
    static func transaction(_ round: Int, _ index: Int) -> String {
        let name = "r\(round)-\(index)"
        let digest = "sha256:" + String(repeating: "0", count: 48) + String(format: "%016x", round * 1_000_000 + index)
        return """
            BEGIN IMMEDIATE;
            INSERT INTO images VALUES ('crash', '\(name)', 'application/vnd.oci.image.manifest.v1+json', '\(digest)', 10, X'7B7D', 1, 1);
            INSERT INTO image_labels VALUES ('crash', '\(name)', 'a', '1'), ('crash', '\(name)', 'b', '2'), ('crash', '\(name)', 'c', '3');
            INSERT INTO content VALUES ('crash', '\(digest)', 10, 1, 1);
            INSERT INTO content_labels VALUES ('crash', '\(digest)', 'x', '1'), ('crash', '\(digest)', 'y', '2');
            INSERT INTO leases VALUES ('crash', '\(name)', 1);
            INSERT INTO lease_resources VALUES ('crash', '\(name)', 'content', '\(digest)');
            COMMIT;

            """
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: sqlite3)))
    func killedWriterLeavesAConsistentDatabase() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        try fixture.database.transaction { try $0.ensureNamespace("crash") }

        var killed = 0
        for round in 0..<6 {
            var script = "PRAGMA busy_timeout=5000;\nPRAGMA synchronous=FULL;\nPRAGMA foreign_keys=ON;\n"
            for index in 0..<20_000 {
                script += Self.transaction(round, index)
            }
            let scriptPath = fixture.directory.path + "/round-\(round).sql"
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            let child = try Spawn.launch(
                path: Self.sqlite3, arguments: ["sqlite3", "-bail", fixture.path, ".read \(scriptPath)"],
                environment: [])
            if child.pidfd >= 0 { close(child.pidfd) }
            usleep(UInt32.random(in: 50_000...400_000))
            kill(child.pid, SIGKILL)
            if try Spawn.wait(pid: child.pid) == .signaled(SIGKILL) {
                killed += 1
            }

            // Reopen as the daemon would after a crash: no manual repair.
            let reopened = try Database(path: fixture.path, logger: .test)
            #expect(try reopened.integrityCheck() == [])
            try Self.checkInvariants(reopened)
            // And it is writable through the wrapper.
            try LeaseStore(database: reopened).create(namespace: "crash", id: "after-round-\(round)")
        }
        #expect(killed > 0, "the writer always finished before the kill; make the script longer")
        let rows = try fixture.database.read { try $0.query("SELECT COUNT(*) FROM images") { $0.int(0) } }
        #expect((rows.first ?? 0) > 0, "no transaction committed before the kills")
    }

    static func checkInvariants(_ database: Database) throws {
        try database.read { connection in
            let images = try connection.query("SELECT COUNT(*) FROM images") { $0.int(0) }.first ?? -1
            let blobs = try connection.query("SELECT COUNT(*) FROM content") { $0.int(0) }.first ?? -1
            let leases = try connection.query("SELECT COUNT(*) FROM leases WHERE id NOT LIKE 'after-%'") { $0.int(0) }
            let resources = try connection.query("SELECT COUNT(*) FROM lease_resources") { $0.int(0) }
            #expect(images == blobs)
            #expect(leases == [images])
            #expect(resources == [images])
            let partialImages = try connection.query(
                "SELECT name FROM images i WHERE (SELECT COUNT(*) FROM image_labels l WHERE l.image = i.name) != 3"
            ) { $0.text(0) }
            #expect(partialImages.isEmpty)
            let partialBlobs = try connection.query(
                "SELECT digest FROM content c WHERE (SELECT COUNT(*) FROM content_labels l WHERE l.digest = c.digest) != 2"
            ) { $0.text(0) }
            #expect(partialBlobs.isEmpty)
        }
    }
}
