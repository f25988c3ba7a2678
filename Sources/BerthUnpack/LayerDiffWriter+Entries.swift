import BerthArchive
import BerthSnapshots
import BerthSystem
import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LayerDiffWriter {
    /// The tar member name of `components` (no trailing slash).
    static func tarName(_ components: [[UInt8]]) -> [UInt8] {
        var name: [UInt8] = []
        for component in components {
            if !name.isEmpty { name.append(0x2F) }
            name += component
        }
        return name
    }

    /// The entry for a changed file, read through its directory.
    static func entry(_ change: TreeChange, _ status: stat) throws -> TarEntry {
        var entry = header(status, name: tarName(change.path))
        let target = ExtendedAttributes.Target.entry(directory: change.directory, name: change.name)
        if status.st_mode & S_IFMT == S_IFLNK {
            entry.linkTargetBytes = try TreeDiff.symlinkTarget(change.name, in: change.directory)
        }
        entry.extendedAttributes = try TreeDiff.attributes(target)
        return entry
    }

    /// The entry for a directory of the upper tree.
    static func directoryEntry(_ directory: TreeDirectory) throws -> TarEntry {
        var status = stat()
        guard fstat(directory.raw, &status) == 0 else {
            throw SystemError(call: "fstat(\(EntryPath.display(directory.path)))", errno: errno)
        }
        var entry = header(status, name: tarName(directory.path))
        entry.extendedAttributes = try TreeDiff.attributes(.descriptor(directory.raw))
        return entry
    }

    /// A header from lstat: kind, permissions, owner, whole-second mtime,
    /// size for regular files, device numbers. Directory names end in `/`.
    static func header(_ status: stat, name: [UInt8]) -> TarEntry {
        let kind: TarEntry.Kind =
            switch status.st_mode & S_IFMT {
            case S_IFDIR: .directory
            case S_IFLNK: .symlink
            case S_IFCHR: .characterDevice
            case S_IFBLK: .blockDevice
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            default: .regular
            }
        var entry = TarEntry(
            path: "", kind: kind, mode: UInt32(status.st_mode) & 0o7777, uid: Int64(status.st_uid),
            gid: Int64(status.st_gid), modificationTime: TarEntry.Timestamp(seconds: Int64(status.st_mtim.tv_sec)),
            size: kind == .regular ? Int64(status.st_size) : 0)
        entry.pathBytes = kind == .directory ? name + [0x2F] : name
        if kind == .characterDevice || kind == .blockDevice {
            entry.deviceMajor = berth_major(UInt64(status.st_rdev))
            entry.deviceMinor = berth_minor(UInt64(status.st_rdev))
        }
        return entry
    }

    /// A hardlink entry named `path` pointing at the member `source`, with
    /// the shared inode's metadata.
    static func hardlink(_ path: [[UInt8]], to source: [UInt8], _ status: stat) -> TarEntry {
        var entry = header(status, name: tarName(path))
        entry.kind = .hardlink
        entry.size = 0
        entry.linkTargetBytes = source
        return entry
    }

    /// The whole-second modification time of an open directory (whiteouts
    /// take it, so equal trees give equal layers).
    static func time(of directory: Int32) throws -> TarEntry.Timestamp {
        var status = stat()
        guard fstat(directory, &status) == 0 else {
            throw SystemError(call: "fstat", errno: errno)
        }
        return TarEntry.Timestamp(seconds: Int64(status.st_mtim.tv_sec))
    }
}
