import BerthErrors
import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension Mount {
    /// Mounts this mount at `mountPoint` (plus `target`, if set).
    ///
    /// Read-only bind mounts are remounted read-only after the bind, as
    /// mount(8) does; propagation options (`rprivate`, `shared`, …) are
    /// applied with a second call.
    ///
    /// - Throws: `SnapshotError` naming the mount, its target and the errno.
    public func mount(at mountPoint: String) throws {
        let path = target.isEmpty ? mountPoint : Self.join(mountPoint, target)
        var parsed = MountOptions(options)
        if type == "bind" {
            parsed.flags |= berth_MS_BIND
        }
        let data = parsed.data.joined(separator: ",")
        if data.utf8.count >= 4000 {
            guard type == "overlay" else {
                throw SnapshotError(
                    .resourceExhausted,
                    "mount \(type) at \(path): options are \(data.utf8.count) bytes, more than a page")
            }
            try mountWithFilesystemContext(at: path, parsed)
            return
        }
        let fsType = type == "bind" ? "none" : type
        var rc = berth_mount(source, path, fsType, parsed.flags, data.isEmpty ? nil : data)
        if rc < 0 {
            throw Self.failure(rc, "mount \(type) \(source) at \(path) (\(options.joined(separator: ",")))")
        }
        let bindReadOnly = berth_MS_BIND | berth_MS_RDONLY
        if parsed.flags & bindReadOnly == bindReadOnly {
            rc = berth_mount(nil, path, nil, parsed.flags | berth_MS_REMOUNT, nil)
            if rc < 0 {
                _ = berth_umount(path, berth_MNT_DETACH)
                throw Self.failure(rc, "remount \(path) read-only")
            }
        }
        if parsed.propagation != 0 {
            rc = berth_mount(nil, path, nil, parsed.propagation, nil)
            if rc < 0 {
                _ = berth_umount(path, berth_MNT_DETACH)
                throw Self.failure(rc, "set propagation of \(path)")
            }
        }
    }

    /// Mounts an overlay through fsconfig, one `lowerdir+` per layer, for
    /// stacks whose option string exceeds mount(2)'s page.
    private func mountWithFilesystemContext(at path: String, _ parsed: MountOptions) throws(SnapshotError) {
        var keys: [String] = []
        var values: [String?] = []
        for option in parsed.data {
            guard let equals = option.firstIndex(of: "=") else {
                keys.append(option)
                values.append(nil)
                continue
            }
            let key = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            if key == "lowerdir" {
                for lower in value.split(separator: ":") {
                    keys.append("lowerdir+")
                    values.append(String(lower))
                }
            } else {
                keys.append(key)
                values.append(value)
            }
        }
        var attributes: UInt32 = 0
        for (flag, attribute) in [
            (berth_MS_RDONLY, berth_MOUNT_ATTR_RDONLY), (berth_MS_NOSUID, berth_MOUNT_ATTR_NOSUID),
            (berth_MS_NODEV, berth_MOUNT_ATTR_NODEV), (berth_MS_NOEXEC, berth_MOUNT_ATTR_NOEXEC),
        ] where parsed.flags & flag != 0 {
            attributes |= attribute
        }
        let keyPointers = keys.map { strdup($0) }
        let valuePointers = values.map { $0.flatMap { strdup($0) } }
        defer {
            keyPointers.forEach { free($0) }
            valuePointers.forEach { free($0) }
        }
        let constKeys = keyPointers.compactMap { $0.map { UnsafePointer<CChar>($0) } }
        let constValues = valuePointers.map { $0.map { UnsafePointer<CChar>($0) } }
        guard constKeys.count == keys.count else {
            throw SnapshotError(.resourceExhausted, "mount \(type) at \(path): out of memory")
        }
        let rc: Int32 = constKeys.withUnsafeBufferPointer { keyBuffer in
            constValues.withUnsafeBufferPointer { valueBuffer in
                guard let keyBase = keyBuffer.baseAddress, let valueBase = valueBuffer.baseAddress else {
                    return -EINVAL
                }
                return berth_fsmount("overlay", path, keyBase, valueBase, Int32(keys.count), attributes)
            }
        }
        if rc < 0 {
            throw Self.failure(rc, "mount overlay at \(path) with \(keys.count) parameters (fsconfig)")
        }
    }

    /// Unmounts whatever is mounted at `path` (umount2). With `detach`, a
    /// busy mount is detached lazily (MNT_DETACH).
    ///
    /// - Throws: `SnapshotError` with the errno; `.notFound` if `path` does not exist.
    public static func unmount(_ path: String, detach: Bool = false) throws {
        var attempts = 0
        while true {
            let rc = berth_umount(path, detach ? berth_MNT_DETACH : 0)
            if rc == 0 { return }
            attempts += 1
            if rc == -EBUSY, attempts < 50 {
                usleep(20_000)
                continue
            }
            throw failure(rc, "unmount \(path)")
        }
    }

    /// Unmounts every mount stacked at `path` until none is left; a path
    /// with nothing mounted is not an error.
    public static func unmountAll(_ path: String, detach: Bool = false) throws {
        while true {
            let rc = berth_umount(path, detach ? berth_MNT_DETACH : 0)
            if rc == -EINVAL || rc == -ENOENT { return }
            if rc < 0 {
                throw failure(rc, "unmount \(path)")
            }
        }
    }

    static func failure(_ rc: Int32, _ action: String) -> SnapshotError {
        let code = -rc
        let errorCode: ErrorCode =
            switch code {
            case ENOENT: .notFound
            case EPERM, EACCES: .permissionDenied
            case EBUSY: .unavailable
            case EINVAL: .invalidArgument
            default: .unknown
            }
        return SnapshotError(errorCode, "\(action): \(String(cString: strerror(code))) (errno \(code))")
    }

    private static func join(_ base: String, _ relative: String) -> String {
        let trimmed = relative.drop { $0 == "/" }
        return base.hasSuffix("/") ? base + trimmed : base + "/" + trimmed
    }
}

extension Array where Element == Mount {
    /// Mounts each mount in order at `mountPoint`; on failure unmounts the
    /// ones already mounted.
    public func mount(at mountPoint: String) throws {
        var done = 0
        do {
            for mount in self {
                try mount.mount(at: mountPoint)
                done += 1
            }
        } catch {
            for _ in 0..<done {
                try? Mount.unmount(mountPoint, detach: true)
            }
            throw error
        }
    }
}

/// Options split into mount flags, propagation flags and the data string,
/// as containerd's `parseMountOptions` splits them.
struct MountOptions {
    var flags: UInt = 0
    var propagation: UInt = 0
    var data: [String] = []

    init(_ options: [String]) {
        for option in options {
            if let (clear, flag) = Self.flagTable[option] {
                if clear {
                    flags &= ~flag
                } else {
                    flags |= flag
                }
            } else if let flag = Self.propagationTable[option] {
                propagation = flag
            } else {
                data.append(option)
            }
        }
    }

    static let flagTable: [String: (Bool, UInt)] = [
        "async": (true, berth_MS_SYNCHRONOUS),
        "atime": (true, berth_MS_NOATIME),
        "bind": (false, berth_MS_BIND),
        "defaults": (false, 0),
        "dev": (true, berth_MS_NODEV),
        "diratime": (true, berth_MS_NODIRATIME),
        "dirsync": (false, berth_MS_DIRSYNC),
        "exec": (true, berth_MS_NOEXEC),
        "mand": (false, berth_MS_MANDLOCK),
        "noatime": (false, berth_MS_NOATIME),
        "nodev": (false, berth_MS_NODEV),
        "nodiratime": (false, berth_MS_NODIRATIME),
        "noexec": (false, berth_MS_NOEXEC),
        "nomand": (true, berth_MS_MANDLOCK),
        "norelatime": (true, berth_MS_RELATIME),
        "nostrictatime": (true, berth_MS_STRICTATIME),
        "nosuid": (false, berth_MS_NOSUID),
        "rbind": (false, berth_MS_BIND | berth_MS_REC),
        "relatime": (false, berth_MS_RELATIME),
        "remount": (false, berth_MS_REMOUNT),
        "ro": (false, berth_MS_RDONLY),
        "rw": (true, berth_MS_RDONLY),
        "strictatime": (false, berth_MS_STRICTATIME),
        "suid": (true, berth_MS_NOSUID),
        "sync": (false, berth_MS_SYNCHRONOUS),
    ]

    static let propagationTable: [String: UInt] = [
        "private": berth_MS_PRIVATE,
        "rprivate": berth_MS_PRIVATE | berth_MS_REC,
        "shared": berth_MS_SHARED,
        "rshared": berth_MS_SHARED | berth_MS_REC,
        "slave": berth_MS_SLAVE,
        "rslave": berth_MS_SLAVE | berth_MS_REC,
        "unbindable": berth_MS_UNBINDABLE,
        "runbindable": berth_MS_UNBINDABLE | berth_MS_REC,
    ]
}
