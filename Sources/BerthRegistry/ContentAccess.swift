public import BerthOCI
import BerthErrors

/// The content store as the registry client and the archive code use it.
///
/// Berth's `BerthContent.ContentStore` conforms (see `ContentStore+Registry.swift`);
/// tests may use a small in-memory or directory store.
public protocol ContentAccess: Sendable {
    /// The size of the committed blob `digest`, or `nil` if it is not in the store.
    func committedSize(of digest: Digest) async throws -> Int64?

    /// Opens the ingest `ref` for writing, resuming it if it already holds bytes.
    ///
    /// - Parameters:
    ///   - ref: the ingest name, e.g. `layer-sha256:<hex>` (containerd's naming).
    ///   - total: the expected size, if known.
    ///   - expected: the expected digest, if known.
    /// - Throws: an `.alreadyExists` error if `expected` is already committed, or
    ///   `.unavailable` if another writer holds `ref`.
    func openWriter(ref: String, total: Int64?, expected: Digest?) async throws -> any ContentIngest

    /// The committed blob's bytes from `offset` on, in chunks.
    func readChunks(of digest: Digest, from offset: Int64) async throws -> AsyncThrowingStream<[UInt8], any Error>

    /// The labels of a committed blob (`[:]` if the store keeps none).
    func labels(of digest: Digest) async throws -> [String: String]

    /// Merges `labels` into a committed blob's labels (an empty value removes a label).
    func addLabels(_ labels: [String: String], to digest: Digest) async throws
}

/// An open, resumable ingest (a content store writer).
public protocol ContentIngest: Sendable {
    /// The number of bytes written so far (non-zero when resuming an ingest).
    func currentOffset() async throws -> Int64
    /// Appends bytes at the current offset.
    func append(_ bytes: [UInt8]) async throws
    /// Discards everything written and starts again at offset 0.
    func restart() async throws
    /// Verifies size and digest, then makes the blob visible atomically.
    ///
    /// - Throws: `.failedPrecondition` on a size or digest mismatch; `.alreadyExists`
    ///   if the blob was committed meanwhile (callers treat that as success).
    func commit(size: Int64, expected: Digest, labels: [String: String]) async throws
    /// Releases the ingest without committing; its bytes stay for a later resume.
    func close() async
    /// Releases the ingest and removes it with its bytes: what it holds is
    /// known to be bad (a digest or size mismatch, a layer the sink refused),
    /// so nothing is kept for a resume. Best effort; never throws.
    func discard() async
}

extension ContentIngest {
    /// Empties the ingest and releases it, for stores that cannot remove one.
    public func discard() async {
        try? await restart()
        await close()
    }
}

extension ContentAccess {
    /// Reads a whole committed blob, refusing more than `limit` bytes.
    ///
    /// - Throws: `RegistryError(.notFound)` if absent, `.resourceExhausted` if larger than `limit`.
    public func readAll(_ digest: Digest, limit: Int64) async throws -> [UInt8] {
        guard let size = try await committedSize(of: digest) else {
            throw RegistryError(.notFound, "content \(digest) not found")
        }
        guard size <= limit else {
            throw RegistryError(.resourceExhausted, "content \(digest) is \(size) bytes, over the \(limit)-byte limit")
        }
        var out: [UInt8] = []
        out.reserveCapacity(Int(size))
        for try await chunk in try await readChunks(of: digest, from: 0) {
            out += chunk
            guard out.count <= limit else {
                throw RegistryError(.resourceExhausted, "content \(digest) exceeds the \(limit)-byte limit")
            }
        }
        return out
    }

    /// Writes a whole blob in one go (small blobs: manifests, configs, index files).
    /// An already committed blob counts as success.
    public func writeAll(
        _ bytes: [UInt8], descriptor: Descriptor, ref: String, labels: [String: String] = [:]
    ) async throws {
        if try await committedSize(of: descriptor.digest) != nil {
            if !labels.isEmpty { try await addLabels(labels, to: descriptor.digest) }
            return
        }
        let writer: any ContentIngest
        do {
            writer = try await openWriter(ref: ref, total: descriptor.size, expected: descriptor.digest)
        } catch let error as any BerthError where error.code == .alreadyExists {
            if !labels.isEmpty { try await addLabels(labels, to: descriptor.digest) }
            return
        }
        do {
            if try await writer.currentOffset() != 0 {
                try await writer.restart()
            }
            try await writer.append(bytes)
            try await writer.commit(size: descriptor.size, expected: descriptor.digest, labels: labels)
        } catch let error as any BerthError where error.code == .alreadyExists {
            await writer.close()
            if !labels.isEmpty { try await addLabels(labels, to: descriptor.digest) }
        } catch {
            await writer.close()
            throw error
        }
    }
}
