import BerthSystem
import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension FileTree {
    /// Copies the contents of `source` into the empty directory
    /// `destination`, preserving file types, hardlinks, symlinks, devices,
    /// fifos, owners, modes, times and extended attributes, then gives
    /// `destination` the metadata of `source`. Never follows symlinks.
    package static func copyContents(of source: Int32, into destination: Int32) throws(SystemError) {
        var links: [InodeKey: [UInt8]] = [:]
        try copyDirectory(source, destination, relative: [], destinationRoot: destination, links: &links)
        var status = stat()
        try posix(fstat(source, &status), "fstat")
        try copyMetadata(status, from: .descriptor(source), to: .descriptor(destination))
    }

    private static func copyDirectory(
        _ source: Int32, _ destination: Int32, relative: [UInt8], destinationRoot: Int32,
        links: inout [InodeKey: [UInt8]]
    ) throws(SystemError) {
        for name in try names(in: source) {
            guard let status = try status(name, in: source) else { continue }
            let path = relative.isEmpty ? name : relative + [0x2F] + name
            let type = status.st_mode & S_IFMT
            if type != S_IFDIR, status.st_nlink > 1 {
                let key = InodeKey(status)
                if let first = links[key] {
                    let rc = first.withCName { old in
                        name.withCName { new in linkat(destinationRoot, old, destination, new, 0) }
                    }
                    try posix(rc, "linkat(\(path.displayName))")
                    continue
                }
                links[key] = path
            }
            try copyEntry(name, status, from: source, to: destination) {
                (childSource, childDestination) throws(SystemError) in
                try copyDirectory(
                    childSource, childDestination, relative: path, destinationRoot: destinationRoot, links: &links)
            }
        }
    }

    /// Copies one entry; `recurse` fills a directory before its metadata is set.
    private static func copyEntry(
        _ name: FileName, _ status: stat, from source: Int32, to destination: Int32,
        recurse: (Int32, Int32) throws(SystemError) -> Void
    ) throws(SystemError) {
        let type = status.st_mode & S_IFMT
        switch type {
        case S_IFDIR:
            try posix(name.withCName { mkdirat(destination, $0, 0o700) }, "mkdirat(\(name.displayName))")
            let from = try openDirectory(name, in: source)
            let to = try openDirectory(name, in: destination)
            try recurse(from.raw, to.raw)
            try copyMetadata(status, from: .descriptor(from.raw), to: .descriptor(to.raw))
        case S_IFREG:
            let inFD = name.withCName { openat(source, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            let input = FileDescriptor(try posix(inFD, "openat(\(name.displayName))"))
            let outFD = name.withCName {
                openat(destination, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
            let output = FileDescriptor(try posix(outFD, "create(\(name.displayName))"))
            try copyData(from: input.raw, to: output.raw, size: Int64(status.st_size))
            try copyMetadata(status, from: .descriptor(input.raw), to: .descriptor(output.raw))
        case S_IFLNK:
            let target = try readLink(name, in: source)
            let rc = target.withCName { link in name.withCName { symlinkat(link, destination, $0) } }
            try posix(rc, "symlinkat(\(name.displayName))")
            try copyMetadata(
                status, from: .entry(directory: source, name: name), to: .entry(directory: destination, name: name))
        default:
            let rc = name.withCName { mknodat(destination, $0, status.st_mode, status.st_rdev) }
            try posix(rc, "mknodat(\(name.displayName))")
            try copyMetadata(
                status, from: .entry(directory: source, name: name), to: .entry(directory: destination, name: name))
        }
    }

    /// Copies `size` bytes with copy_file_range, falling back to read/write.
    package static func copyData(from input: Int32, to output: Int32, size: Int64) throws(SystemError) {
        var remaining = size
        while remaining > 0 {
            let n = berth_copy_file_range(input, output, Int(min(remaining, 1 << 30)))
            if n > 0 {
                remaining -= Int64(n)
                continue
            }
            if n == 0 { return }
            let code = Int32(-n)
            if code == EXDEV || code == ENOSYS || code == EOPNOTSUPP || code == EINVAL {
                try copyByReading(from: input, to: output)
                return
            }
            throw SystemError(call: "copy_file_range", errno: code)
        }
    }

    private static func copyByReading(from input: Int32, to output: Int32) throws(SystemError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "read", errno: errno)
            }
            if n == 0 { return }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress.map { $0 + offset }, n - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SystemError(call: "write", errno: errno)
                }
                offset += written
            }
        }
    }

    /// The target of the symlink `name` in `directory`.
    package static func readLink(_ name: FileName, in directory: Int32) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
            return name.withCName { readlinkat(directory, $0, base, raw.count) }
        }
        if n < 0 {
            throw SystemError(call: "readlinkat(\(name.displayName))", errno: errno)
        }
        return Array(buffer[0..<n])
    }

    /// Gives `target` the owner, mode, extended attributes and times in
    /// `status` and on `source`. `trusted.overlay.*` attributes are copied
    /// only when `overlayAttributes` is true.
    package static func copyMetadata(
        _ status: stat, from source: ExtendedAttributes.Target, to target: ExtendedAttributes.Target,
        overlayAttributes: Bool = true
    ) throws(SystemError) {
        let isLink = status.st_mode & S_IFMT == S_IFLNK
        try setOwner(target, uid: status.st_uid, gid: status.st_gid)
        if !isLink {
            try setMode(target, status.st_mode & 0o7777)
        }
        for (name, value) in try ExtendedAttributes.list(source) {
            if !overlayAttributes, name.hasPrefix("trusted.overlay.") { continue }
            do {
                try ExtendedAttributes.set(target, name, value)
            } catch {
                // Symlinks refuse user.* attributes; nothing to preserve there.
                if isLink, error.errno == EPERM { continue }
                throw error
            }
        }
        try setTimes(target, access: status.st_atim, modification: status.st_mtim)
    }

    package static func setOwner(_ target: ExtendedAttributes.Target, uid: uid_t, gid: gid_t) throws(SystemError) {
        switch target {
        case .descriptor(let fd):
            try posix(fchown(fd, uid, gid), "fchown")
        case .entry(let directory, let name):
            try posix(
                name.withCName { fchownat(directory, $0, uid, gid, AT_SYMLINK_NOFOLLOW) },
                "lchown(\(name.displayName))")
        }
    }

    /// Sets permission bits. For an entry, only call this on a non-symlink.
    package static func setMode(_ target: ExtendedAttributes.Target, _ mode: mode_t) throws(SystemError) {
        switch target {
        case .descriptor(let fd):
            try posix(fchmod(fd, mode), "fchmod")
        case .entry(let directory, let name):
            try posix(name.withCName { fchmodat(directory, $0, mode, 0) }, "chmod(\(name.displayName))")
        }
    }

    package static func setTimes(_ target: ExtendedAttributes.Target, access: timespec, modification: timespec)
        throws(SystemError)
    {
        var times = [access, modification]
        switch target {
        case .descriptor(let fd):
            try posix(futimens(fd, &times), "futimens")
        case .entry(let directory, let name):
            try posix(
                name.withCName { utimensat(directory, $0, &times, AT_SYMLINK_NOFOLLOW) },
                "utimensat(\(name.displayName))")
        }
    }
}
