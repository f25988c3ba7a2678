import BerthErrors
import BerthMetadata
import Testing

@Suite struct DatabaseTests {
    @Test func migrationsRunOnceAndReopeningIsIdempotent() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        #expect(try fixture.database.appliedMigrations() == Database.migrations.map(\.version))
        for _ in 0..<3 {
            let again = try Database(path: fixture.path, logger: .test)
            #expect(try again.appliedMigrations() == Database.migrations.map(\.version))
            #expect(try again.integrityCheck() == [])
        }
    }

    @Test func newMigrationsApplyInOrderAndOnlyOnce() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let extra =
            Database.migrations + [
                Migration(
                    version: 2, name: "counter",
                    sql: "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (1);")
            ]
        let upgraded = try Database(path: fixture.path, logger: .test, migrations: extra)
        _ = try Database(path: fixture.path, logger: .test, migrations: extra)
        #expect(try upgraded.appliedMigrations() == [1, 2])
        // Ran once: a second run would have inserted a second row.
        #expect(try upgraded.read { try $0.query("SELECT n FROM counter") { $0.int(0) } } == [1])
        // An older build refuses a newer schema instead of corrupting it.
        #expect(errorCode { _ = try Database(path: fixture.path, logger: .test) } == .failedPrecondition)
    }

    @Test func failingMigrationLeavesNoTrace() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let broken =
            Database.migrations + [
                Migration(
                    version: 2, name: "broken", sql: "CREATE TABLE half (n INTEGER); INSERT INTO nowhere VALUES (1);")
            ]
        #expect(errorCode { _ = try Database(path: fixture.path, logger: .test, migrations: broken) } != nil)
        let reopened = try Database(path: fixture.path, logger: .test)
        #expect(try reopened.appliedMigrations() == [1])
        let tables = try reopened.read {
            try $0.query("SELECT name FROM sqlite_master WHERE name = 'half'") { $0.text(0) }
        }
        #expect(tables.isEmpty)
    }

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try fixture.database.transaction { connection in
                try connection.ensureNamespace("one")
                throw Stop()
            }
        }
        #expect(try NamespaceStore(database: fixture.database).list().isEmpty)
    }

    @Test func sqliteErrorsMapToCodes() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        try fixture.database.transaction { try $0.ensureNamespace("ns") }
        // Unique violation → alreadyExists.
        #expect(
            errorCode {
                try fixture.database.transaction { try $0.run("INSERT INTO namespaces VALUES ('ns', 0, 0)") }
            } == .alreadyExists)
        // Foreign key violation → failedPrecondition.
        #expect(
            errorCode {
                try fixture.database.transaction {
                    try $0.run("INSERT INTO leases (namespace, id, created_at) VALUES ('missing', 'l', 0)")
                }
            } == .failedPrecondition)
        // Re-entrant use is an error, not a deadlock.
        #expect(
            errorCode {
                try fixture.database.transaction { _ in _ = try fixture.database.appliedMigrations() }
            } == .internal)
        // Typed binds round-trip.
        let row = try fixture.database.read { connection in
            try connection.queryFirst("SELECT ?, ?, ?, ?, ?", 42, "text", [UInt8](), Optional<String>.none, true) {
                ($0.int64(0), $0.text(1), $0.optionalBlob(2), $0.isNull(3), $0.bool(4))
            }
        }
        #expect(row?.0 == 42 && row?.1 == "text" && row?.2 == [] && row?.3 == true && row?.4 == true)
    }

    @Test func pragmasAreSet() throws {
        let fixture = try MetadataFixture()
        defer { fixture.remove() }
        let (mode, sync, keys) = try fixture.database.read { connection in
            (
                try connection.queryFirst("PRAGMA journal_mode") { $0.text(0) },
                try connection.queryFirst("PRAGMA synchronous") { $0.int(0) },
                try connection.queryFirst("PRAGMA foreign_keys") { $0.int(0) }
            )
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        #expect(keys == 1)
    }

    @Test func timestampsRoundTripThroughRFC3339() throws {
        let stamp = Timestamp(seconds: 1_700_000_000, nanos: 123_456_789)
        #expect(stamp.rfc3339 == "2023-11-14T22:13:20.123456789Z")
        #expect(Timestamp(rfc3339: stamp.rfc3339) == stamp)
        #expect(Timestamp(rfc3339: "2023-11-14T23:13:20+01:00") == Timestamp(seconds: 1_700_000_000, nanos: 0))
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59Z") == Timestamp(seconds: -1, nanos: 0))
        #expect(Timestamp(rfc3339: "2023-11-14 22:13:20Z") == nil)
        #expect(Timestamp(rfc3339: "tomorrow") == nil)
        // Beyond 2262 saturates instead of overflowing.
        #expect(Timestamp(rfc3339: "2999-01-01T00:00:00Z") == Timestamp(nanoseconds: .max))
        #expect(Timestamp(nanoseconds: .max).adding(.seconds(10)) == Timestamp(nanoseconds: .max))
    }
}
