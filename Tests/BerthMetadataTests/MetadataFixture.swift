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

/// A metadata database in a fresh temporary directory.
struct MetadataFixture {
    let directory: TemporaryDirectory
    let database: Database

    var path: String { directory.path + "/metadata/berth.db" }

    init() throws {
        directory = try TemporaryDirectory(prefix: "berth-metadata")
        database = try Database(path: directory.path + "/metadata/berth.db", logger: .test)
    }

    func remove() {
        directory.remove()
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

/// A descriptor for test bytes.
func descriptor(_ mediaType: MediaType, _ content: [UInt8]) -> Descriptor {
    Descriptor(mediaType: mediaType, content: content)
}
