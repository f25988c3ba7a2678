public import BerthContent
import BerthErrors
import BerthMetadata
public import BerthOCI
import Synchronization

extension ContentStore {
    /// This store seen through `ContentAccess`, in one namespace and
    /// (optionally) holding everything written under a lease, as a pull or
    /// import does in containerd.
    public func access(namespace: String, lease: String? = nil) -> NamespacedContent {
        NamespacedContent(store: self, namespace: namespace, lease: lease)
    }
}

/// A `ContentStore` in one namespace, as the registry and archive code use it.
public struct NamespacedContent: ContentAccess {
    /// The underlying store.
    public let store: ContentStore
    /// The namespace blobs are read from and committed to.
    public let namespace: String
    /// The lease new ingests and blobs are attached to, if any.
    public let lease: String?

    /// The size of reads from the store.
    static let readChunkSize = 1 << 20

    public init(store: ContentStore, namespace: String, lease: String? = nil) {
        self.store = store
        self.namespace = namespace
        self.lease = lease
    }

    public func committedSize(of digest: Digest) async throws -> Int64? {
        do {
            return try store.info(digest, namespace: namespace).size
        } catch let error as any BerthError where error.code == .notFound {
            return nil
        }
    }

    public func openWriter(ref: String, total: Int64?, expected: Digest?) async throws -> any ContentIngest {
        Ingest(
            writer: try store.writer(ref: ref, total: total, expected: expected, namespace: namespace, lease: lease),
            store: store)
    }

    public func readChunks(of digest: Digest, from offset: Int64) async throws
        -> AsyncThrowingStream<[UInt8], any Error>
    {
        let reader = try store.reader(digest, namespace: namespace)
        let cursor = Cursor(offset)
        return AsyncThrowingStream {
            try cursor.position.withLock { position in
                guard position < reader.size else { return nil }
                let chunk = try reader.read(at: position, count: Self.readChunkSize)
                guard !chunk.isEmpty else { return nil }
                position += Int64(chunk.count)
                return chunk
            }
        }
    }

    public func labels(of digest: Digest) async throws -> [String: String] {
        try store.info(digest, namespace: namespace).labels
    }

    public func addLabels(_ labels: [String: String], to digest: Digest) async throws {
        guard !labels.isEmpty else { return }
        var info = try store.info(digest, namespace: namespace)
        info.labels = labels
        try store.update(info, fieldPaths: labels.keys.sorted().map { "labels.\($0)" }, namespace: namespace)
    }

    private final class Cursor: Sendable {
        let position: Mutex<Int64>

        init(_ position: Int64) {
            self.position = Mutex(position)
        }
    }

    private struct Ingest: ContentIngest {
        let writer: ContentWriter
        let store: ContentStore

        func currentOffset() async throws -> Int64 { writer.offset }

        func append(_ bytes: [UInt8]) async throws {
            try writer.write(bytes)
        }

        func restart() async throws {
            try writer.truncate(to: 0)
        }

        func commit(size: Int64, expected: Digest, labels: [String: String]) async throws {
            try writer.commit(size: size, expected: expected, labels: labels)
        }

        func close() async {
            writer.close()
        }

        func discard() async {
            // Empty first: if the ingest cannot be removed, no bad byte stays.
            try? writer.truncate(to: 0)
            writer.close()
            // The lock can outlive `close` for a moment: a process forked
            // meanwhile (by any thread) holds the descriptor until it execs.
            // A writer that took the ref for good owns it; give up then.
            for attempt in 0..<10 {
                do {
                    try store.abort(ref: writer.ref, namespace: writer.namespace)
                    return
                } catch let error as any BerthError where error.code == .unavailable {
                    try? await Task.sleep(for: .milliseconds(10 << min(attempt, 4)))
                } catch {
                    return
                }
            }
        }
    }
}
