import BerthErrors
import BerthSnapshots
import BerthSystem
import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The directory a layer is written into, with safe parent resolution:
/// every component is opened relative to its parent with `O_NOFOLLOW`
/// (after an `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)` fast path), so no symlink is
/// ever followed and nothing outside the root is reached.
final class UpperTree {
    let root: FileDescriptor
    /// Directories created because an entry needed them, parents first,
    /// with the entry that needed them.
    private(set) var implicitDirectories: [(path: [[UInt8]], entry: String)] = []
    private var cache: (path: [[UInt8]], directory: FileDescriptor)?

    init(path: String) throws(SystemError) {
        root = try FileDescriptor.openDirectory(path: path)
    }

    /// Forgets the cached directory; call after removing or replacing a directory.
    func invalidate() {
        cache = nil
    }

    /// Opens the directory at `components` below the root.
    ///
    /// - Parameters:
    ///   - create: create missing directories (recorded as implicit).
    ///   - entry: the entry name, for `implicitDirectories` and messages.
    /// - Returns: nil when a component is missing and `create` is false.
    /// - Throws: `EntryProblem` when a component is a symlink or not a directory.
    func directory(_ components: [[UInt8]], create: Bool, entry: String) throws -> FileDescriptor? {
        if components.isEmpty {
            return root
        }
        if let cache, cache.path == components {
            return cache.directory
        }
        if let fast = openBeneath(components) {
            cache = (components, fast)
            return fast
        }
        var current = root
        for index in components.indices {
            let name = components[index]
            var fd = name.withCName { openat(current.raw, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 {
                let code = errno
                let prefix = components[...index]
                if code == ENOENT {
                    guard create else { return nil }
                    try posix(
                        name.withCName { mkdirat(current.raw, $0, 0o755) }, "mkdir(\(EntryPath.display(prefix)))")
                    implicitDirectories.append((Array(prefix), entry))
                    fd = name.withCName { openat(current.raw, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                    current = FileDescriptor(try posix(fd, "open(\(EntryPath.display(prefix)))"))
                    continue
                }
                if code == ELOOP || code == ENOTDIR {
                    let status = try FileTree.status(name, in: current.raw)
                    if let status, status.st_mode & S_IFMT == S_IFLNK {
                        throw EntryProblem(
                            "parent \"\(EntryPath.display(prefix))\" is a symlink; refusing to follow it")
                    }
                    throw EntryProblem("parent \"\(EntryPath.display(prefix))\" is not a directory")
                }
                throw SystemError(call: "open(\(EntryPath.display(prefix)))", errno: code)
            }
            current = FileDescriptor(fd)
        }
        cache = (components, current)
        return current
    }

    /// One openat2 call for the whole path; nil on any failure (the walk then
    /// finds out why, creating directories if asked).
    private func openBeneath(_ components: [[UInt8]]) -> FileDescriptor? {
        var path: [UInt8] = []
        for component in components {
            if !path.isEmpty { path.append(0x2F) }
            path += component
        }
        let resolve =
            berth_RESOLVE_BENEATH | berth_RESOLVE_NO_SYMLINKS | berth_RESOLVE_NO_MAGICLINKS | berth_RESOLVE_NO_XDEV
        let fd = path.withCName {
            berth_openat2(root.raw, $0, UInt64(O_RDONLY | O_DIRECTORY | O_NOFOLLOW), 0, resolve)
        }
        return fd >= 0 ? FileDescriptor(fd) : nil
    }
}
