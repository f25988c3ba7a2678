internal import Logging
internal import BerthErrors
public import BerthMetadata
public import BerthOCI
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A locked, resumable write into the content store (see
/// `ContentStore.writer(ref:total:expected:namespace:lease:)`).
///
/// Bytes are hashed as they are written. `commit` verifies size and digest
/// and makes the blob visible atomically; `close` (or deinit) releases the
/// ref's lock and keeps the ingest for a later resume.
public final class ContentWriter: Sendable {
    /// The ref this writer holds.
    public let ref: String
    /// The namespace the blob becomes visible in.
    public let namespace: String
    /// The lease the ingest and blob are attached to, if any.
    public let lease: String?
    /// When the ingest was first started.
    public let startedAt: Timestamp

    private let store: ContentStore
    private let directory: String
    private let state: Mutex<State>

    private struct State {
        var directoryFD: Int32
        var dataFD: Int32
        var offset: Int64
        var digester: Digester
        var total: Int64
        var expected: Digest?
        var updatedAt: Timestamp
        var closed = false
    }

    init(
        store: ContentStore, ref: String, namespace: String, lease: String?, directory: String, directoryFD: Int32,
        total: Int64?, expected: Digest?
    ) throws {
        self.store = store
        self.ref = ref
        self.namespace = namespace
        self.lease = lease
        self.directory = directory
        let status = try store.readStatus(directory)
        startedAt = status?.startedAt ?? .now()
        var storedTotal = status?.total ?? 0
        if let total, total > 0, total != storedTotal {
            try FileIO.writeText(directory + "/total", String(total))
            storedTotal = total
        }
        var storedExpected = status?.expected
        if let expected, expected != storedExpected {
            try FileIO.writeText(directory + "/expected", expected.string)
            storedExpected = expected
        }
        let dataPath = directory + "/data"
        let dataFD = try FileIO.open(dataPath, O_RDWR | O_CREAT, 0o600)
        do {
            // Resume: re-hash what is already there so the digest continues.
            var digester = Digester(algorithm: storedExpected?.algorithm ?? .canonical)
            let size = try FileIO.size(dataFD, path: dataPath)
            try Self.hash(dataFD, path: dataPath, upTo: size, into: &digester)
            state = Mutex(
                State(
                    directoryFD: directoryFD, dataFD: dataFD, offset: size, digester: digester, total: storedTotal,
                    expected: storedExpected, updatedAt: status?.updatedAt ?? .now()))
        } catch {
            Glibc.close(dataFD)
            throw error
        }
    }

    deinit {
        close()
    }

    /// Bytes written so far: where the next write goes.
    public var offset: Int64 {
        state.withLock { $0.offset }
    }

    /// The expected total size, or nil if unknown.
    public var total: Int64? {
        state.withLock { $0.total > 0 ? $0.total : nil }
    }

    /// The digest of the bytes written so far.
    public var digest: Digest {
        state.withLock { $0.digester.finalize() }
    }

    /// The ingest's status, as `ContentStore.status(ref:namespace:)` reports it.
    public var status: IngestStatus {
        state.withLock { state in
            IngestStatus(
                ref: ref, offset: state.offset, total: state.total, expected: state.expected, startedAt: startedAt,
                updatedAt: state.updatedAt)
        }
    }

    /// Records the expected total size (a later Write message may carry it).
    public func setTotal(_ total: Int64) throws {
        try state.withLock { state in
            try Self.checkOpen(state, ref)
            guard total > 0, total != state.total else { return }
            try FileIO.writeText(directory + "/total", String(total))
            state.total = total
        }
    }

    /// Appends bytes at the current offset.
    public func write(_ bytes: some Collection<UInt8>) throws {
        let done: Void?? = try bytes.withContiguousStorageIfAvailable { buffer in
            try write(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            try Array(bytes).withUnsafeBytes { try write($0) }
        }
    }

    /// Appends raw bytes at the current offset.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        try state.withLock { state in
            try Self.checkOpen(state, ref)
            try FileIO.write(state.dataFD, buffer, at: state.offset, path: directory + "/data")
            state.digester.update(buffer)
            state.offset += Int64(buffer.count)
            state.updatedAt = .now()
        }
    }

    /// Writes at an explicit offset with containerd's Write semantics:
    /// `offset == 0` on a non-empty ingest restarts it (truncates); any other
    /// offset must equal the current one.
    ///
    /// - Throws: `.outOfRange` if `offset` is neither 0 nor the current offset.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws {
        let current = self.offset
        if offset == 0 && current > 0 {
            try truncate(to: 0)
        } else if offset != current {
            throw ContentError(.outOfRange, "write offset \(offset) does not match the current offset \(current)")
        }
        try write(buffer)
    }

    /// Cuts the ingest back to `size` bytes (0 starts over) and re-hashes.
    ///
    /// - Throws: `.invalidArgument` if `size` is negative or past the offset.
    public func truncate(to size: Int64 = 0) throws {
        try state.withLock { state in
            try Self.checkOpen(state, ref)
            guard size >= 0, size <= state.offset else {
                throw ContentError(
                    .invalidArgument, "cannot truncate ingest \(ref) of \(state.offset) bytes to \(size)")
            }
            let path = directory + "/data"
            _ = try FileIO.check(ftruncate(state.dataFD, off_t(size)), "ftruncate", path)
            var digester = Digester(algorithm: state.digester.algorithm)
            try Self.hash(state.dataFD, path: path, upTo: size, into: &digester)
            state.digester = digester
            state.offset = size
            state.updatedAt = .now()
        }
    }

    /// Verifies and commits the blob, making it visible in the namespace with
    /// `labels`, and removes the ingest. The writer is closed afterwards.
    ///
    /// - Parameters:
    ///   - size: the expected size; 0 uses the writer's `total`, if any.
    ///   - expected: the expected digest; nil uses the writer's, if any.
    /// - Returns: the committed blob's info.
    /// - Throws: `.failedPrecondition` "unexpected commit size/digest" (the
    ///   ingest is kept, nothing becomes visible); `.alreadyExists` if the
    ///   namespace already has the blob (the ingest is removed).
    @discardableResult
    public func commit(size: Int64 = 0, expected: Digest? = nil, labels: [String: String] = [:]) throws
        -> ContentInfo
    {
        try Labels.validate(labels)
        return try state.withLock { state in
            try Self.checkOpen(state, ref)
            let wantedSize = size > 0 ? size : state.total
            if wantedSize > 0 && wantedSize != state.offset {
                throw ContentError(
                    .failedPrecondition, "unexpected commit size \(state.offset), expected \(wantedSize)")
            }
            let actual = state.digester.finalize()
            if let wanted = expected ?? state.expected, wanted != actual {
                throw ContentError(.failedPrecondition, "unexpected commit digest \(actual), expected \(wanted)")
            }
            let dataPath = directory + "/data"
            try FileIO.fsync(state.dataFD, path: dataPath)
            let info: ContentInfo
            do {
                info = try publish(
                    dataPath: dataPath, dataFD: state.dataFD, digest: actual, size: state.offset, labels: labels)
            } catch let error as any BerthError where error.code == .alreadyExists {
                removeIngest(&state)
                throw error
            }
            removeIngest(&state)
            return info
        }
    }

    /// Releases the ref's lock, keeping the ingest for a later resume.
    public func close() {
        state.withLock { state in
            guard !state.closed else { return }
            Glibc.close(state.dataFD)
            Glibc.close(state.directoryFD)
            state.closed = true
        }
    }

    // MARK: - Private

    /// Inside one metadata transaction: rename the data into `blobs/` (unless
    /// another namespace already put the blob there), record it in the
    /// namespace, and move the lease from the ingest to the blob.
    private func publish(dataPath: String, dataFD: Int32, digest: Digest, size: Int64, labels: [String: String])
        throws -> ContentInfo
    {
        let target = store.blobPath(digest)
        return try store.metadata.transaction { connection in
            if try connection.contentInfo(namespace: namespace, digest: digest) != nil {
                throw ContentError(.alreadyExists, "content \(digest): already exists")
            }
            if let lease, try connection.lease(namespace: namespace, id: lease) == nil {
                throw ContentError(.notFound, "lease \(lease): lease does not exist")
            }
            if !FileIO.exists(target) {
                _ = try FileIO.check(fchmod(dataFD, 0o444), "fchmod", dataPath)
                _ = try FileIO.check(rename(dataPath, target), "rename", dataPath)
                try FileIO.syncDirectory("\(store.root)/blobs/\(digest.algorithm.name)")
            }
            try connection.insertContent(namespace: namespace, digest: digest, size: size, labels: labels)
            if let lease {
                try connection.deleteLeaseResource(
                    namespace: namespace, lease: lease, LeaseResource(id: ref, type: LeaseResource.ingestType))
                try connection.addLeaseResource(
                    namespace: namespace, lease: lease,
                    LeaseResource(id: digest.string, type: LeaseResource.contentType))
            }
            store.logger.debug(
                "committed blob", metadata: ["digest": "\(digest)", "size": "\(size)", "namespace": "\(namespace)"])
            return try connection.contentInfo(namespace: namespace, digest: digest)
                ?? ContentInfo(digest: digest, size: size)
        }
    }

    private func removeIngest(_ state: inout State) {
        do {
            try FileIO.removeFlatDirectory(directory)
        } catch {
            store.logger.warning("could not remove ingest", metadata: ["ref": "\(ref)", "error": "\(error)"])
        }
        Glibc.close(state.dataFD)
        Glibc.close(state.directoryFD)
        state.closed = true
    }

    private static func checkOpen(_ state: State, _ ref: String) throws {
        if state.closed {
            throw ContentError(.failedPrecondition, "writer for ref \(ref) is closed")
        }
    }

    private static func hash(_ fd: Int32, path: String, upTo size: Int64, into digester: inout Digester) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position: Int64 = 0
        while position < size {
            let want = Int(min(Int64(buffer.count), size - position))
            let count = try buffer.withUnsafeMutableBytes { raw in
                try FileIO.read(
                    fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<want]), at: position, path: path)
            }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { digester.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            position += Int64(count)
        }
    }
}
