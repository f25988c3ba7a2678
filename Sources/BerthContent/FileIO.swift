internal import BerthErrors
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Small, checked wrappers over the file system calls the store needs.
enum FileIO {
    static func check(_ result: Int32, _ call: String, _ path: String) throws -> Int32 {
        if result < 0 {
            throw ContentError.system(call, path, errno: errno)
        }
        return result
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw ContentError.system("open", path, errno: errno)
        }
    }

    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw ContentError.system("mkdir", current, errno: errno)
            }
        }
    }

    /// Writes all of `buffer` at `offset`.
    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64, path: String) throws {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let n = pwrite(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ContentError.system("write", path, errno: errno)
            }
            done += n
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws
        -> Int
    {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return 0 }
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ContentError.system("read", path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func size(_ fd: Int32, path: String) throws -> Int64 {
        var info = stat()
        _ = try check(fstat(fd, &info), "fstat", path)
        return Int64(info.st_size)
    }

    static func fsync(_ fd: Int32, path: String) throws {
        _ = try check(Glibc.fsync(fd), "fsync", path)
    }

    /// fsyncs a directory so a rename or unlink in it is durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// The whole file as bytes, or nil if it does not exist.
    static func readFile(_ path: String, limit: Int = 1 << 20) throws -> [UInt8]? {
        let fd: Int32
        do {
            fd = try open(path, O_RDONLY)
        } catch let error as ContentError where error.code == .notFound {
            return nil
        }
        defer { close(fd) }
        let size = Int(try FileIO.size(fd, path: path))
        guard size <= limit else {
            throw ContentError(.outOfRange, "\(path) is \(size) bytes, more than the \(limit) allowed")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let count = try bytes.withUnsafeMutableBytes { try read(fd, into: $0, at: 0, path: path) }
        return Array(bytes.prefix(count))
    }

    /// A small text file, or nil if it does not exist.
    static func readText(_ path: String) throws -> String? {
        try readFile(path, limit: 64 << 10).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes a small file atomically (temp file, fsync, rename).
    static func writeText(_ path: String, _ text: String) throws {
        let temporary = path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try Array(text.utf8).withUnsafeBytes { try write(fd, $0, at: 0, path: temporary) }
            try fsync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        _ = try check(rename(temporary, path), "rename", temporary)
    }

    /// The names in a directory (without `.` and `..`), or [] if it does not exist.
    static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw ContentError.system("opendir", path, errno: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        return names
    }

    /// Removes a directory of plain files (no subdirectories).
    static func removeFlatDirectory(_ path: String) throws {
        for name in try list(path) where unlink(path + "/" + name) != 0 && errno != ENOENT {
            throw ContentError.system("unlink", path + "/" + name, errno: errno)
        }
        if rmdir(path) != 0 && errno != ENOENT {
            throw ContentError.system("rmdir", path, errno: errno)
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Modification time of a file, as a `Timestamp` in nanoseconds, or nil.
    static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
