import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Path-level file operations the shim needs, without Foundation.
public enum FileSystem {
    /// What a path names.
    public enum Kind: Sendable, Equatable {
        case regular, directory, fifo, other
    }

    /// The kind of file at `path` (following symlinks), or nil if absent.
    public static func kind(_ path: String) -> Kind? {
        switch berth_file_kind(path) {
        case BERTH_KIND_REGULAR: .regular
        case BERTH_KIND_DIRECTORY: .directory
        case BERTH_KIND_FIFO: .fifo
        case let rc where rc > 0: .other
        default: nil
        }
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        kind(path) != nil
    }

    /// Reads a whole (small) file; nil if it cannot be opened.
    public static func read(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        guard let fd = try? Descriptor.open(path, O_RDONLY) else { return nil }
        defer { Descriptor.close(fd) }
        return try? Descriptor.readAll(fd, limit: limit)
    }

    /// Reads a whole (small) text file; nil if it cannot be opened.
    public static func readText(_ path: String, limit: Int = 1 << 20) -> String? {
        read(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same
    /// directory is written and renamed over `path`. When `durable` (the
    /// default), the file is fsynced before the rename and the directory
    /// after it, so the write also survives a host crash; files that only
    /// need to survive a process crash (the state directory is volatile)
    /// pass `durable: false`.
    public static func writeAtomically(
        _ path: String, _ bytes: some Collection<UInt8>, mode: UInt32 = 0o644, durable: Bool = true
    ) throws(SystemError) {
        let temporary = directoryName(path) + "/." + baseName(path) + ".tmp"
        let fd = try Descriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            try Descriptor.writeAll(fd, bytes)
            if durable { try Descriptor.sync(fd) }
        } catch {
            Descriptor.close(fd)
            _ = berth_unlink(temporary)
            throw error
        }
        Descriptor.close(fd)
        _ = try check("rename(\(temporary), \(path))", berth_rename(temporary, path))
        if durable, let dir = try? Descriptor.open(directoryName(path), O_RDONLY | O_DIRECTORY) {
            _ = berth_fsync(dir)
            Descriptor.close(dir)
        }
    }

    /// Writes `bytes` to `path`, replacing it (not atomic, not synced).
    public static func write(_ path: String, _ bytes: some Collection<UInt8>, mode: UInt32 = 0o644)
        throws(SystemError)
    {
        let fd = try Descriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { Descriptor.close(fd) }
        try Descriptor.writeAll(fd, bytes)
    }

    /// Renames `from` to `to`.
    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        _ = try check("rename(\(from), \(to))", berth_rename(from, to))
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) {
        _ = berth_unlink(path)
    }

    /// Removes an empty directory; failures are ignored.
    public static func removeDirectory(_ path: String) {
        _ = berth_rmdir(path)
    }

    /// Creates `path` and its missing parents with `mode`.
    public static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws(SystemError) {
        if kind(path) == .directory { return }
        let parent = directoryName(path)
        if parent != path, !parent.isEmpty, kind(parent) == nil {
            try makeDirectories(parent, mode: mode)
        }
        let rc = berth_mkdir(path, mode)
        if rc < 0, rc != -EEXIST {
            throw SystemError(call: "mkdir(\(path))", negatedErrno: rc)
        }
    }

    /// Creates a FIFO at `path`.
    public static func makeFIFO(_ path: String, mode: UInt32 = 0o600) throws(SystemError) {
        _ = try check("mkfifo(\(path))", berth_mkfifo(path, mode))
    }

    /// The directory part of `path` (`"."` when there is none).
    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `path` joined to `component` with one slash.
    public static func join(_ path: String, _ component: String) -> String {
        path.hasSuffix("/") ? path + component : path + "/" + component
    }

    /// The current working directory.
    public static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
