import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Descriptor-relative file-tree operations that never follow symlinks:
/// listing, stat, recursive removal and disk usage.
package enum FileTree {
    /// The names in a directory, without `.` and `..`.
    package static func names(in directory: Int32) throws(SystemError) -> [FileName] {
        let copy = dup(directory)
        if copy < 0 {
            throw SystemError(call: "dup", errno: errno)
        }
        guard let stream = fdopendir(copy) else {
            let code = errno
            close(copy)
            throw SystemError(call: "fdopendir", errno: code)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [FileName] = []
        while let entry = readdir(stream) {
            let name: FileName = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    /// lstat of `name` in `directory`; nil if it does not exist.
    package static func status(_ name: FileName, in directory: Int32) throws(SystemError) -> stat? {
        var buffer = stat()
        let rc = name.withCName { fstatat(directory, $0, &buffer, AT_SYMLINK_NOFOLLOW) }
        if rc < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw SystemError(call: "fstatat(\(name.displayName))", errno: code)
        }
        return buffer
    }

    /// Opens the directory `name` in `directory` without following a symlink.
    package static func openDirectory(_ name: FileName, in directory: Int32) throws(SystemError) -> FileDescriptor {
        let fd = name.withCName {
            openat(directory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        if fd < 0 {
            throw SystemError(call: "openat(\(name.displayName))", errno: errno)
        }
        return FileDescriptor(fd)
    }

    /// Removes `name` from `directory`, recursively for a directory. Never
    /// follows symlinks. A missing name is not an error.
    package static func remove(_ name: FileName, in directory: Int32) throws(SystemError) {
        var rc = name.withCName { unlinkat(directory, $0, 0) }
        if rc == 0 { return }
        let code = errno
        if code == ENOENT { return }
        guard code == EISDIR else {
            throw SystemError(call: "unlinkat(\(name.displayName))", errno: code)
        }
        let child = try openDirectory(name, in: directory)
        try removeContents(of: child.raw)
        rc = name.withCName { unlinkat(directory, $0, AT_REMOVEDIR) }
        if rc < 0 && errno != ENOENT {
            throw SystemError(call: "rmdir(\(name.displayName))", errno: errno)
        }
    }

    /// Removes everything inside `directory`.
    package static func removeContents(of directory: Int32) throws(SystemError) {
        for name in try names(in: directory) {
            try remove(name, in: directory)
        }
    }

    /// Removes the file or tree at `path` (the last component is not followed).
    /// A missing path is not an error.
    package static func remove(path: String) throws(SystemError) {
        let (parent, name) = split(path)
        let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return }
            throw SystemError(call: "open(\(parent))", errno: errno)
        }
        let directory = FileDescriptor(fd)
        try remove(Array(name.utf8), in: directory.raw)
    }

    /// Creates `path` and its missing parents with `mode`.
    package static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) < 0 && errno != EEXIST {
                throw SystemError(call: "mkdir(\(current))", errno: errno)
            }
        }
    }

    /// Disk usage of the tree at `path`: allocated bytes and distinct inodes,
    /// as containerd's `fs.DiskUsage` counts them.
    package static func usage(path: String) throws(SystemError) -> (size: Int64, inodes: Int64) {
        let root = try FileDescriptor.openDirectory(path: path)
        var seen = Set<InodeKey>()
        var size: Int64 = 0
        var rootStatus = stat()
        try posix(fstat(root.raw, &rootStatus), "fstat(\(path))")
        seen.insert(InodeKey(rootStatus))
        size += Int64(rootStatus.st_blocks) * 512
        try accumulateUsage(root.raw, seen: &seen, size: &size)
        return (size, Int64(seen.count))
    }

    private static func accumulateUsage(_ directory: Int32, seen: inout Set<InodeKey>, size: inout Int64)
        throws(SystemError)
    {
        for name in try names(in: directory) {
            guard let status = try status(name, in: directory) else { continue }
            if seen.insert(InodeKey(status)).inserted {
                size += Int64(status.st_blocks) * 512
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                let child = try openDirectory(name, in: directory)
                try accumulateUsage(child.raw, seen: &seen, size: &size)
            }
        }
    }

    static func split(_ path: String) -> (String, String) {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        return (parent, String(trimmed[trimmed.index(after: slash)...]))
    }
}

/// A (device, inode) pair identifying a file.
package struct InodeKey: Hashable {
    let device: UInt64
    let inode: UInt64

    package init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
