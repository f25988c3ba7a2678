import BerthErrors
import BerthOCI
import BerthRegistry

/// The content store as a pull writes to it: opening an ingest that another
/// writer holds (a concurrent pull of the same image) waits for that writer
/// instead of failing, and reports `.alreadyExists` once the blob is
/// committed, which the registry client treats as "already there".
struct PatientContent: ContentAccess {
    let inner: NamespacedContent
    /// How long to wait for another writer.
    var patience: Duration = .seconds(600)

    func committedSize(of digest: Digest) async throws -> Int64? {
        try await inner.committedSize(of: digest)
    }

    func openWriter(ref: String, total: Int64?, expected: Digest?) async throws -> any ContentIngest {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var delay: Duration = .milliseconds(20)
        while true {
            do {
                return try await inner.openWriter(ref: ref, total: total, expected: expected)
            } catch let error as any BerthError where error.code == .unavailable && clock.now < deadline {
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                if let expected, try await inner.committedSize(of: expected) != nil {
                    throw DaemonError.alreadyExists("content \(expected): already exists")
                }
            }
        }
    }

    func readChunks(of digest: Digest, from offset: Int64) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try await inner.readChunks(of: digest, from: offset)
    }

    func labels(of digest: Digest) async throws -> [String: String] {
        try await inner.labels(of: digest)
    }

    func addLabels(_ labels: [String: String], to digest: Digest) async throws {
        try await inner.addLabels(labels, to: digest)
    }
}
