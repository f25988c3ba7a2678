import BerthErrors
import BerthArchive
import BerthSnapshots
import BerthSystem
import CBerthSys
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LayerApplier {
    /// Applies one entry; errors are `EntryProblem` or `SystemError`.
    func applyEntry(_ entry: TarEntry, reader: TarReader) throws {
        let path = try EntryPath(entry.pathBytes)
        switch path.meaning {
        case .ignored:
            return
        case .opaque:
            try applyOpaque(path.components, entry: entry)
            return
        case .whiteout(let name):
            try applyWhiteout(name, in: path.components, entry: entry)
            return
        case .file:
            break
        }
        guard let leaf = path.components.last else {
            guard entry.kind == .directory else {
                throw EntryProblem("a \(entry.kind) cannot replace the snapshot root")
            }
            try setMetadata(entry, on: .descriptor(upper.root.raw), deferTimes: [])
            return
        }
        let parentPath = Array(path.components.dropLast())
        if entry.kind == .hardlink {
            try applyHardlink(entry, leaf: leaf, parentPath: parentPath, path: path)
            return
        }
        guard let parent = try upper.directory(parentPath, create: true, entry: entry.path) else {
            throw EntryProblem(.internal, "parent directory vanished")
        }
        if target.whiteouts == .delete {
            recordWritten(path.components)
        }
        switch entry.kind {
        case .directory:
            try makeDirectory(leaf, in: parent.raw, entry: entry, path: path.components)
        case .regular:
            try clear(leaf, in: parent.raw, keepDirectory: false)
            try writeFile(leaf, in: parent.raw, entry: entry, reader: reader)
        case .symlink:
            try clear(leaf, in: parent.raw, keepDirectory: false)
            let link = entry.linkTargetBytes ?? []
            guard !link.isEmpty else { throw EntryProblem("symlink has an empty target") }
            let rc = link.withCName { target in leaf.withCName { symlinkat(target, parent.raw, $0) } }
            try posix(rc, "symlink")
            try setMetadata(entry, on: .entry(directory: parent.raw, name: leaf), isLink: true)
        case .characterDevice, .blockDevice, .fifo:
            try clear(leaf, in: parent.raw, keepDirectory: false)
            let type: mode_t =
                switch entry.kind {
                case .characterDevice: S_IFCHR
                case .blockDevice: S_IFBLK
                default: S_IFIFO
                }
            let device = berth_makedev(entry.deviceMajor, entry.deviceMinor)
            try posix(leaf.withCName { mknodat(parent.raw, $0, type | 0o600, dev_t(device)) }, "mknod")
            try setMetadata(entry, on: .entry(directory: parent.raw, name: leaf))
        case .socket:
            logger.debug("skipping socket entry", metadata: ["entry": "\(entry.path)"])
        case .hardlink:
            break
        }
    }

    /// Creates (or keeps) a directory and sets its metadata; times are deferred.
    private func makeDirectory(_ leaf: [UInt8], in parent: Int32, entry: TarEntry, path: [[UInt8]]) throws {
        let existing = try clear(leaf, in: parent, keepDirectory: true)
        if !existing {
            try posix(leaf.withCName { mkdirat(parent, $0, 0o700) }, "mkdir")
        }
        let directory = try FileTree.openDirectory(leaf, in: parent)
        try setMetadata(entry, on: .descriptor(directory.raw), deferTimes: path)
    }

    /// Creates a regular file and streams the entry's data into it.
    private func writeFile(_ leaf: [UInt8], in parent: Int32, entry: TarEntry, reader: TarReader) throws {
        let fd = leaf.withCName { openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        let file = FileDescriptor(try posix(fd, "create"))
        var end: Int64 = 0
        try reader.readData { offset, bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(
                    file.raw, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemError(call: "write", errno: errno)
                }
                done += n
            }
            end = max(end, offset + Int64(bytes.count))
        }
        if entry.size > end {
            try posix(ftruncate(file.raw, off_t(entry.size)), "truncate")
        }
        try setMetadata(entry, on: .descriptor(file.raw))
    }

    /// Links the entry to an earlier member of this layer.
    private func applyHardlink(_ entry: TarEntry, leaf: [UInt8], parentPath: [[UInt8]], path: EntryPath) throws {
        let targetPath = try EntryPath(entry.linkTargetBytes ?? [], interpretWhiteouts: false)
        guard let targetLeaf = targetPath.components.last else {
            throw EntryProblem("hardlink target names the snapshot root")
        }
        let display = EntryPath.display(targetPath.components)
        guard targetPath.components != path.components else { return }
        guard
            let targetParent = try upper.directory(
                Array(targetPath.components.dropLast()), create: false, entry: entry.path),
            let status = try FileTree.status(targetLeaf, in: targetParent.raw)
        else {
            throw EntryProblem("hardlink target \"\(display)\" does not exist in this layer")
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw EntryProblem("hardlink target \"\(display)\" is a directory")
        }
        guard let parent = try upper.directory(parentPath, create: true, entry: entry.path) else {
            throw EntryProblem(.internal, "parent directory vanished")
        }
        try clear(leaf, in: parent.raw, keepDirectory: false)
        let rc = targetLeaf.withCName { old in leaf.withCName { linkat(targetParent.raw, old, parent.raw, $0, 0) } }
        try posix(rc, "link to \(display)")
        if target.whiteouts == .delete {
            recordWritten(path.components)
        }
    }

    /// Records a path and its parents as written by this layer.
    private func recordWritten(_ components: [[UInt8]]) {
        var path: [UInt8] = []
        for component in components {
            if !path.isEmpty { path.append(0x2F) }
            path += component
            written.insert(path)
        }
    }

    /// Removes whatever is at `leaf`, except a directory when `keepDirectory`.
    /// Returns true if a directory was kept.
    @discardableResult
    func clear(_ leaf: [UInt8], in parent: Int32, keepDirectory: Bool) throws -> Bool {
        guard let status = try FileTree.status(leaf, in: parent) else { return false }
        let isDirectory = status.st_mode & S_IFMT == S_IFDIR
        if isDirectory && keepDirectory {
            return true
        }
        try FileTree.remove(leaf, in: parent)
        if isDirectory {
            upper.invalidate()
        }
        return false
    }

    /// Owner, mode, xattrs and times from the entry. Directory times are
    /// deferred when `deferTimes` is given.
    func setMetadata(
        _ entry: TarEntry, on target: ExtendedAttributes.Target, isLink: Bool = false, deferTimes: [[UInt8]]? = nil
    ) throws {
        guard let uid = uid_t(exactly: entry.uid), let gid = gid_t(exactly: entry.gid) else {
            throw EntryProblem("owner \(entry.uid):\(entry.gid) is out of range")
        }
        try FileTree.setOwner(target, uid: uid, gid: gid)
        if !isLink {
            try FileTree.setMode(target, mode_t(entry.mode & 0o7777))
        }
        for attribute in entry.extendedAttributes {
            if attribute.name.hasPrefix("trusted.overlay.") {
                logger.warning(
                    "ignoring overlay xattr in layer entry",
                    metadata: ["entry": "\(entry.path)", "xattr": "\(attribute.name)"])
                continue
            }
            do throws(SystemError) {
                try ExtendedAttributes.set(target, attribute.name, attribute.value)
            } catch {
                guard error.errno == ENOTSUP || error.errno == EPERM else { throw error }
                logger.warning(
                    "could not set xattr", metadata: ["entry": "\(entry.path)", "xattr": "\(attribute.name)"])
            }
        }
        let modification = timespec(
            tv_sec: Int(entry.modificationTime.seconds), tv_nsec: Int(entry.modificationTime.nanoseconds))
        let access = entry.accessTime.map { timespec(tv_sec: Int($0.seconds), tv_nsec: Int($0.nanoseconds)) }
        if let deferTimes {
            directoryTimes.append((deferTimes, access ?? modification, modification))
        } else {
            try FileTree.setTimes(target, access: access ?? modification, modification: modification)
        }
    }

    func joined(_ components: [[UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        for component in components {
            if !result.isEmpty { result.append(0x2F) }
            result += component
        }
        return result
    }
}
