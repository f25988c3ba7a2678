internal import BerthErrors
public import BerthMetadata
public import BerthOCI
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The content store: content-addressed blobs on disk, shared by every
/// namespace, made visible per namespace by records (and labels) in the
/// metadata database, as containerd does it.
///
///     <root>/blobs/<alg>/<hex>            committed blobs, read-only
///     <root>/ingest/<sha256(ns/ref)>/     resumable writes: data, ref, namespace,
///                                         startedat, total, expected
///
/// Writes go through `writer(ref:…)`, which locks the ref (`flock` on the
/// ingest directory, so other processes are excluded too) and can resume an
/// interrupted ingest. `ContentWriter.commit` verifies size and digest, fsyncs
/// and renames the data into `blobs/` inside a metadata transaction, so a
/// partial blob is never visible and a crash leaves at worst an unreferenced
/// file for GC.
///
/// Errors are `ContentError` (file system) or `MetadataError` (database), both
/// `BerthError`s with containerd's codes.
public final class ContentStore: Sendable {
    /// The store's root directory.
    public let root: String
    /// The metadata database holding namespace records and labels.
    public let metadata: Database
    let logger: Logger

    /// Opens the store at `root`, creating `blobs/` and `ingest/` if needed.
    public init(root: String, metadata: Database, logger: Logger) throws {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.metadata = metadata
        self.logger = logger
        for algorithm in Digest.Algorithm.all {
            try FileIO.makeDirectories("\(root)/blobs/\(algorithm.name)")
        }
        try FileIO.makeDirectories(ingestRoot, mode: 0o700)
    }

    var ingestRoot: String { root + "/ingest" }

    /// Where a committed blob lives, whether or not it exists. Prefer
    /// `path(for:namespace:)`, which checks visibility.
    public func blobPath(_ digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm.name)/\(digest.encoded)"
    }

    // MARK: - Info

    /// The blob's info in `namespace`.
    ///
    /// - Throws: `.notFound` if the blob is not visible in the namespace.
    public func info(_ digest: Digest, namespace: String) throws -> ContentInfo {
        let info = try metadata.read { try $0.contentInfo(namespace: namespace, digest: digest) }
        guard let info else {
            throw ContentError(.notFound, "content \(digest): not found")
        }
        return info
    }

    /// True if the blob is visible in `namespace`.
    public func contains(_ digest: Digest, namespace: String) throws -> Bool {
        try metadata.read { try $0.contentInfo(namespace: namespace, digest: digest) } != nil
    }

    /// The read-only path of a blob visible in `namespace`, for readers that
    /// want the file itself (unpack). Do not write to it.
    ///
    /// - Throws: `.notFound` if the blob is not visible in the namespace.
    public func path(for digest: Digest, namespace: String) throws -> String {
        _ = try info(digest, namespace: namespace)
        return blobPath(digest)
    }

    /// Opens a blob visible in `namespace` for reading.
    ///
    /// - Throws: `.notFound` if the blob is not visible in the namespace.
    public func reader(_ digest: Digest, namespace: String) throws -> ContentReader {
        let path = try path(for: digest, namespace: namespace)
        return try ContentReader(digest: digest, path: path)
    }

    /// Reads a whole (small) blob visible in `namespace`.
    ///
    /// - Throws: `.notFound`; `.outOfRange` if it is larger than `limit`.
    public func readBlob(_ digest: Digest, namespace: String, limit: Int = 16 << 20) throws -> [UInt8] {
        let path = try path(for: digest, namespace: namespace)
        guard let bytes = try FileIO.readFile(path, limit: limit) else {
            throw ContentError(.notFound, "content \(digest): blob missing on disk")
        }
        return bytes
    }

    /// Reads a whole (small) blob file without checking any namespace and
    /// without touching the database (safe inside a metadata transaction).
    ///
    /// - Throws: `.notFound` if the file does not exist; `.outOfRange` if it
    ///   is larger than `limit`.
    public func readBlobFile(_ digest: Digest, limit: Int = 16 << 20) throws -> [UInt8] {
        guard let bytes = try FileIO.readFile(blobPath(digest), limit: limit) else {
            throw ContentError(.notFound, "content \(digest): blob missing on disk")
        }
        return bytes
    }

    // MARK: - Update

    /// Updates a blob's labels. `fieldPaths` may hold `labels` (replace all)
    /// and `labels.<key>` (set one; an empty value removes it); no paths
    /// replace all labels. Returns the updated info.
    ///
    /// - Throws: `.notFound`; `.invalidArgument` for another path or bad labels.
    @discardableResult
    public func update(_ info: ContentInfo, fieldPaths: [String] = [], namespace: String) throws -> ContentInfo {
        for path in fieldPaths where path != "labels" && !path.hasPrefix("labels.") {
            throw ContentError(.invalidArgument, "cannot update \(path) field on content info \(info.digest)")
        }
        try Labels.validate(info.labels)
        return try metadata.transaction { connection in
            guard let current = try connection.contentInfo(namespace: namespace, digest: info.digest) else {
                throw ContentError(.notFound, "content \(info.digest): not found")
            }
            var labels = info.labels.filter { !$0.value.isEmpty }
            if !fieldPaths.isEmpty {
                labels = Labels.apply(fieldPaths: fieldPaths, from: info.labels, to: current.labels)
            }
            try connection.setContentLabels(namespace: namespace, digest: info.digest, labels: labels)
            return try connection.contentInfo(namespace: namespace, digest: info.digest) ?? current
        }
    }

    // MARK: - List

    /// Blobs visible in `namespace` that match containerd filters (fields
    /// `digest`, `size`, `labels.<key>`), sorted by digest.
    ///
    /// - Throws: `.invalidArgument` for a bad filter.
    public func list(filters: [String] = [], namespace: String) throws -> [ContentInfo] {
        let filter = try Filter(parsing: filters)
        return try metadata.read { try $0.listContent(namespace: namespace) }.filter { filter.matches($0) }
    }

    /// Calls `body` for each matching blob (see `list`).
    public func walk(filters: [String] = [], namespace: String, _ body: (ContentInfo) throws -> Void) throws {
        for info in try list(filters: filters, namespace: namespace) {
            try body(info)
        }
    }

    // MARK: - Delete

    /// Removes a blob from `namespace`; the file goes when no namespace
    /// records it any more.
    ///
    /// - Throws: `.notFound` if the blob is not visible in the namespace.
    public func delete(_ digest: Digest, namespace: String) throws {
        try metadata.transaction { connection in
            guard try connection.deleteContent(namespace: namespace, digest: digest) else {
                throw ContentError(.notFound, "content \(digest): not found")
            }
        }
        // A second transaction: holding the write lock, no commit can add a
        // record for this digest while the file goes.
        try metadata.transaction { connection in
            if try !connection.isContentReferenced(digest) {
                try removeBlobFile(digest)
            }
        }
    }

    func removeBlobFile(_ digest: Digest) throws {
        let path = blobPath(digest)
        if unlink(path) != 0 && errno != ENOENT {
            throw ContentError.system("unlink", path, errno: errno)
        }
        logger.debug("removed blob", metadata: ["digest": "\(digest)"])
    }
}

// MARK: - Garbage collection support

extension ContentStore {
    /// Deletes every blob file on disk that no namespace records. Call inside
    /// a metadata write transaction (as `BerthGC` does), so no commit can
    /// record a blob while its file goes.
    ///
    /// - Returns: the digests whose files were deleted.
    public func removeUnreferencedBlobs(_ connection: Connection) throws -> [Digest] {
        let referenced = try connection.allContentDigests()
        var removed: [Digest] = []
        for algorithm in Digest.Algorithm.all {
            for name in try FileIO.list("\(root)/blobs/\(algorithm.name)") {
                guard let digest = try? Digest(algorithm: algorithm, encoded: name) else { continue }
                if !referenced.contains(digest.string) {
                    try removeBlobFile(digest)
                    removed.append(digest)
                }
            }
        }
        return removed.sorted()
    }
}
