internal import BerthErrors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a file inside a root filesystem without ever leaving it.
///
/// Paths are resolved one component at a time with `openat(openPathFlag | O_NOFOLLOW)`
/// from a descriptor of the root. A symbolic link is read and its target
/// resolved *inside the root*: an absolute target restarts at the root and
/// `..` never climbs above it, as `openat2(RESOLVE_IN_ROOT)` does. So an image
/// whose `/etc/passwd` links to `/../../etc/passwd` or to `/tmp/x` is read from
/// its own tree (`<root>/etc/passwd`, `<root>/tmp/x`), never from the host's.
enum RootfsFile {
    /// `O_PATH` (Linux), which Glibc's Swift module does not export.
    static let openPathFlag: Int32 = 0o10000000
    /// The most symbolic links one lookup follows (the kernel's limit).
    static let maxSymlinks = 40
    /// The largest file read, so a hostile image cannot exhaust memory.
    static let maxSize = 16 << 20

    /// The contents of `path` (absolute, inside the container) in `root`, or
    /// nil when it, or a directory on the way, does not exist.
    static func readFile(_ path: String, in root: String) throws(BundleError) -> [UInt8]? {
        guard let fd = try openFile(path, in: root) else { return nil }
        defer { close(fd) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read", path, errno)
            }
            if count == 0 { return contents }
            contents.append(contentsOf: buffer[0..<count])
            if contents.count > maxSize {
                throw BundleError.invalid("\(path) in the rootfs is larger than \(maxSize) bytes")
            }
        }
    }

    /// Opens the regular file at `path` inside `root` for reading; nil if it
    /// (or the root itself) is missing.
    static func openFile(_ path: String, in root: String) throws(BundleError) -> Int32? {
        let rootFD = open(root, openPathFlag | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            // No rootfs (an image not unpacked yet) has no files either.
            if errno == ENOENT { return nil }
            throw BundleError.invalid("cannot open the rootfs \(root): \(String(cString: strerror(errno)))")
        }
        var directories: [Int32] = [rootFD]
        defer { for fd in directories { close(fd) } }

        var pending = components(of: path).reversed() as [String]
        var symlinks = 0
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                if directories.count > 1 { close(directories.removeLast()) }
                continue
            }
            let parent = directories[directories.count - 1]
            let fd = openat(parent, name, openPathFlag | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { return nil }
                throw failure("open", path, errno)
            }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let code = errno
                close(fd)
                throw failure("stat", path, code)
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                symlinks += 1
                let target = readLink(fd)
                close(fd)
                guard symlinks <= maxSymlinks, let target else {
                    throw failure("resolve", path, ELOOP)
                }
                if target.hasPrefix("/") {
                    while directories.count > 1 { close(directories.removeLast()) }
                }
                pending.append(contentsOf: components(of: target).reversed())
            case S_IFDIR:
                directories.append(fd)
            case S_IFREG where pending.isEmpty:
                close(fd)
                return try reopen(name, in: parent, matching: info, path: path)
            default:
                close(fd)
                throw BundleError.invalid("\(path) in the rootfs is not a regular file")
            }
        }
        throw BundleError.invalid("\(path) in the rootfs is a directory")
    }

    /// Opens `name` for reading and checks it is the file just examined, so a
    /// concurrent rename cannot swap in something else.
    private static func reopen(
        _ name: String,
        in parent: Int32,
        matching expected: stat,
        path: String
    ) throws(BundleError) -> Int32 {
        let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path, errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_dev == expected.st_dev, info.st_ino == expected.st_ino else {
            close(fd)
            throw BundleError(.aborted, "\(path) in the rootfs changed while it was opened")
        }
        return fd
    }

    private static func readLink(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(fd, "", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func components(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func failure(_ action: String, _ path: String, _ code: Int32) -> BundleError {
        let reason = String(cString: strerror(code))
        let errorCode: ErrorCode = code == EACCES || code == EPERM ? .permissionDenied : .invalidArgument
        return BundleError(errorCode, "cannot \(action) \(path) in the rootfs: \(reason)")
    }
}
