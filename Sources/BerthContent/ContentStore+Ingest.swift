internal import Logging
internal import BerthErrors
internal import BerthMetadata
public import BerthOCI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension ContentStore {
    /// Opens a writer for `ref`, locking it against every other writer (in
    /// this process or another).
    ///
    /// If an ingest with this ref exists, the writer resumes it: `offset`
    /// reports how many bytes are already there (re-hashed so the digest
    /// continues) and the client either continues from there or calls
    /// `truncate(to: 0)` to start over.
    ///
    /// - Parameters:
    ///   - total: the expected size, if known (checked at commit).
    ///   - expected: the expected digest, if known (checked at commit; also
    ///     chooses the hash algorithm).
    ///   - lease: a lease to attach the ingest and then the blob to, so GC
    ///     keeps them.
    /// - Throws: `.alreadyExists` if `expected` is already visible in the
    ///   namespace; `.unavailable` if another writer holds the ref;
    ///   `.notFound` for an unknown lease; `.invalidArgument` for an empty ref.
    public func writer(
        ref: String, total: Int64? = nil, expected: Digest? = nil, namespace: String, lease: String? = nil
    ) throws -> ContentWriter {
        guard !ref.isEmpty else {
            throw ContentError(.invalidArgument, "ref must not be empty")
        }
        try metadata.transaction { connection in
            if let expected, try connection.contentInfo(namespace: namespace, digest: expected) != nil {
                throw ContentError(.alreadyExists, "content \(expected): already exists")
            }
            try connection.ensureNamespace(namespace)
            if let lease {
                try connection.addLeaseResource(
                    namespace: namespace, lease: lease, LeaseResource(id: ref, type: LeaseResource.ingestType))
            }
        }
        let directory = ingestDirectory(namespace: namespace, ref: ref)
        let directoryFD = try lockIngest(
            directory, ref: ref, namespace: namespace, create: true, total: total, expected: expected)
        do {
            return try ContentWriter(
                store: self, ref: ref, namespace: namespace, lease: lease, directory: directory,
                directoryFD: directoryFD, total: total, expected: expected)
        } catch {
            close(directoryFD)
            throw error
        }
    }

    /// The status of an ingest in `namespace`.
    ///
    /// - Throws: `.notFound` if there is no such ingest.
    public func status(ref: String, namespace: String) throws -> IngestStatus {
        let directory = ingestDirectory(namespace: namespace, ref: ref)
        guard let status = try readStatus(directory), try readNamespace(directory) == namespace else {
            throw ContentError(.notFound, "ingest ref \(ref): not found")
        }
        return status
    }

    /// The ingests of `namespace` matching containerd filters (field `ref`),
    /// sorted by ref.
    ///
    /// - Throws: `.invalidArgument` for a bad filter.
    public func listStatuses(filters: [String] = [], namespace: String) throws -> [IngestStatus] {
        let filter = try Filter(parsing: filters)
        return try allIngests().filter { $0.namespace == namespace && filter.matches($0.status) }.map(\.status)
    }

    /// Every ingest of every namespace, sorted by ref.
    public func allIngests() throws -> [(namespace: String, status: IngestStatus)] {
        var result: [(namespace: String, status: IngestStatus)] = []
        for name in try FileIO.list(ingestRoot) where !name.hasPrefix(".") {
            let directory = ingestRoot + "/" + name
            // An ingest being aborted or committed may vanish while we look.
            guard let namespace = try? readNamespace(directory), let status = try? readStatus(directory) else {
                continue
            }
            result.append((namespace, status))
        }
        return result.sorted { ($0.namespace, $0.status.ref) < ($1.namespace, $1.status.ref) }
    }

    /// Removes an ingest and its data.
    ///
    /// - Throws: `.notFound` if there is no such ingest; `.unavailable` if a
    ///   writer holds it.
    public func abort(ref: String, namespace: String) throws {
        let directory = ingestDirectory(namespace: namespace, ref: ref)
        guard try readNamespace(directory) == namespace else {
            throw ContentError(.notFound, "ingest ref \(ref): not found")
        }
        let fd = try lockIngest(directory, ref: ref, namespace: namespace, create: false, total: nil, expected: nil)
        defer { close(fd) }
        try FileIO.removeFlatDirectory(directory)
        logger.debug("aborted ingest", metadata: ["ref": "\(ref)", "namespace": "\(namespace)"])
    }

    /// Removes temporary ingest directories (`ingest/.tmp-*`) that a crash
    /// during `writer(ref:…)` left behind, if older than `age`.
    ///
    /// - Returns: how many were removed.
    @discardableResult
    public func removeStaleTemporaryIngests(olderThan age: Duration) throws -> Int {
        let cutoff = Timestamp.now().adding(.zero - age).nanoseconds
        var removed = 0
        for name in try FileIO.list(ingestRoot) where name.hasPrefix(".tmp-") {
            let path = ingestRoot + "/" + name
            guard let modified = FileIO.modificationTime(path), modified <= cutoff else { continue }
            try FileIO.removeFlatDirectory(path)
            removed += 1
        }
        return removed
    }

    // MARK: - Ingest directories

    func ingestDirectory(namespace: String, ref: String) -> String {
        ingestRoot + "/" + Digest.sha256(of: Array("\(namespace)/\(ref)".utf8)).encoded
    }

    func readNamespace(_ directory: String) throws -> String? {
        try FileIO.readText(directory + "/namespace")
    }

    func readStatus(_ directory: String) throws -> IngestStatus? {
        guard let ref = try FileIO.readText(directory + "/ref") else { return nil }
        let startedAt = try FileIO.readText(directory + "/startedat").flatMap { Timestamp(rfc3339: $0) }
        let total = try FileIO.readText(directory + "/total").flatMap { Int64($0) } ?? 0
        let expected = try FileIO.readText(directory + "/expected").flatMap { Digest($0) }
        var info = stat()
        let data = directory + "/data"
        var offset: Int64 = 0
        var updatedAt = startedAt ?? Timestamp(nanoseconds: 0)
        if stat(data, &info) == 0 {
            offset = Int64(info.st_size)
            updatedAt = Timestamp(seconds: Int64(info.st_mtim.tv_sec), nanos: Int32(info.st_mtim.tv_nsec))
        }
        return IngestStatus(
            ref: ref, offset: offset, total: total, expected: expected,
            startedAt: startedAt ?? updatedAt, updatedAt: updatedAt)
    }

    /// Opens and locks an ingest directory, creating it (atomically, through a
    /// temporary directory and a rename) if `create` is set. Returns the
    /// locked directory descriptor; closing it releases the lock.
    func lockIngest(
        _ directory: String, ref: String, namespace: String, create: Bool, total: Int64?, expected: Digest?
    ) throws -> Int32 {
        for _ in 0..<16 {
            let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                guard errno == ENOENT else {
                    throw ContentError.system("open", directory, errno: errno)
                }
                guard create else {
                    throw ContentError(.notFound, "ingest ref \(ref): not found")
                }
                try createIngest(directory, ref: ref, namespace: namespace, total: total, expected: expected)
                continue
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK {
                    throw ContentError(.unavailable, "ref \(ref) locked: unavailable")
                }
                throw ContentError.system("flock", directory, errno: code)
            }
            // The directory may have been removed (abort, commit) between our
            // open and our lock: only a lock on the current directory counts.
            var held = stat()
            var current = stat()
            if fstat(fd, &held) == 0, stat(directory, &current) == 0, held.st_ino == current.st_ino,
                held.st_dev == current.st_dev
            {
                return fd
            }
            close(fd)
            if !create {
                throw ContentError(.notFound, "ingest ref \(ref): not found")
            }
        }
        throw ContentError(.unavailable, "ref \(ref): could not lock the ingest")
    }

    private func createIngest(
        _ directory: String, ref: String, namespace: String, total: Int64?, expected: Digest?
    ) throws {
        let temporary = "\(ingestRoot)/.tmp-\(UInt64.random(in: 0...UInt64.max))"
        _ = try FileIO.check(mkdir(temporary, 0o700), "mkdir", temporary)
        do {
            try FileIO.writeText(temporary + "/ref", ref)
            try FileIO.writeText(temporary + "/namespace", namespace)
            try FileIO.writeText(temporary + "/startedat", Timestamp.now().rfc3339)
            if let total, total > 0 {
                try FileIO.writeText(temporary + "/total", String(total))
            }
            if let expected {
                try FileIO.writeText(temporary + "/expected", expected.string)
            }
            close(try FileIO.open(temporary + "/data", O_WRONLY | O_CREAT, 0o600))
            try FileIO.syncDirectory(temporary)
            if rename(temporary, directory) != 0 {
                let code = errno
                guard code == EEXIST || code == ENOTEMPTY else {
                    throw ContentError.system("rename", temporary, errno: code)
                }
                // Another writer created it first; use theirs.
                try FileIO.removeFlatDirectory(temporary)
                return
            }
            try FileIO.syncDirectory(ingestRoot)
        } catch {
            try? FileIO.removeFlatDirectory(temporary)
            throw error
        }
    }
}
