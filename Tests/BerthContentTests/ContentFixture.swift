import BerthContent
import BerthErrors
import BerthMetadata
import BerthOCI
import BerthTestSupport
import Logging

extension Logger {
    /// A quiet logger for tests.
    static var test: Logger {
        var logger = Logger(label: "berth.test")
        logger.logLevel = .error
        return logger
    }
}

/// A content store and its metadata database in a fresh temporary root.
struct ContentFixture {
    let directory: TemporaryDirectory
    let database: Database
    let store: ContentStore

    init() throws {
        directory = try TemporaryDirectory(prefix: "berth-content")
        database = try Database(path: directory.path + "/metadata/berth.db", logger: .test)
        store = try ContentStore(root: directory.path + "/content", metadata: database, logger: .test)
    }

    func remove() {
        directory.remove()
    }

    /// The blob files on disk, whatever the metadata says.
    func blobFiles() throws -> [String] {
        try FileManagerLite.list(store.root + "/blobs/sha256")
    }

    /// Writes and commits `bytes` in `namespace`.
    @discardableResult
    func commit(_ bytes: [UInt8], namespace: String = "default", labels: [String: String] = [:]) throws -> Digest {
        let digest = Digest.sha256(of: bytes)
        let writer = try store.writer(
            ref: "ref-\(digest.encoded.prefix(12))", total: Int64(bytes.count), expected: digest, namespace: namespace)
        try writer.write(bytes)
        try writer.commit(size: Int64(bytes.count), expected: digest, labels: labels)
        return digest
    }
}

/// The code of the `BerthError` `body` throws, or nil if it does not throw.
func errorCode(_ body: () throws -> Void) -> ErrorCode? {
    do {
        try body()
        return nil
    } catch let error as any BerthError {
        return error.code
    } catch {
        return .unknown
    }
}

/// Deterministic test bytes.
func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}
