import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A mount as containerd describes one: type, source and fstab-style options.
public struct MountSpec: Sendable, Equatable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }

    /// The options split into `mount(2)` flags, propagation flags (applied
    /// by a second call) and the data string, as containerd's `parseMountOptions`.
    public var parsedOptions: (flags: UInt, propagation: UInt, data: String) {
        var flags: UInt = 0
        var propagation: UInt = 0
        var data: [String] = []
        for option in options {
            if let (isClear, flag) = Self.flagTable[option] {
                if isClear { flags &= ~flag } else { flags |= flag }
            } else if let flag = Self.propagationTable[option] {
                propagation |= flag
            } else {
                data.append(option)
            }
        }
        if type == "bind" { flags |= berth_MS_BIND }
        return (flags, propagation, data.joined(separator: ","))
    }

    private static let flagTable: [String: (Bool, UInt)] = [
        "async": (true, berth_MS_SYNCHRONOUS), "atime": (true, berth_MS_NOATIME),
        "bind": (false, berth_MS_BIND), "defaults": (false, 0), "dev": (true, berth_MS_NODEV),
        "diratime": (true, berth_MS_NODIRATIME), "dirsync": (false, berth_MS_DIRSYNC),
        "exec": (true, berth_MS_NOEXEC), "mand": (false, berth_MS_MANDLOCK),
        "noatime": (false, berth_MS_NOATIME), "nodev": (false, berth_MS_NODEV),
        "nodiratime": (false, berth_MS_NODIRATIME), "noexec": (false, berth_MS_NOEXEC),
        "nomand": (true, berth_MS_MANDLOCK), "norelatime": (true, berth_MS_RELATIME),
        "nostrictatime": (true, berth_MS_STRICTATIME), "nosuid": (false, berth_MS_NOSUID),
        "rbind": (false, berth_MS_BIND | berth_MS_REC), "relatime": (false, berth_MS_RELATIME),
        "remount": (false, berth_MS_REMOUNT), "ro": (false, berth_MS_RDONLY), "rw": (true, berth_MS_RDONLY),
        "strictatime": (false, berth_MS_STRICTATIME), "suid": (true, berth_MS_NOSUID),
        "sync": (false, berth_MS_SYNCHRONOUS),
    ]

    private static let propagationTable: [String: UInt] = [
        "private": berth_MS_PRIVATE, "rprivate": berth_MS_PRIVATE | berth_MS_REC,
        "shared": berth_MS_SHARED, "rshared": berth_MS_SHARED | berth_MS_REC,
        "slave": berth_MS_SLAVE, "rslave": berth_MS_SLAVE | berth_MS_REC,
        "unbindable": berth_MS_UNBINDABLE, "runbindable": berth_MS_UNBINDABLE | berth_MS_REC,
    ]
}

/// Mounting and unmounting.
public enum Mounter {
    /// Mounts `spec` on `target`. A read-only bind is remounted read-only,
    /// as the kernel ignores MS_RDONLY on the first bind call. The
    /// corresponding C call is `mount`.
    public static func mount(_ spec: MountSpec, at target: String) throws(SystemError) {
        let (flags, propagation, data) = spec.parsedOptions
        let type = spec.type == "bind" ? "none" : spec.type
        _ = try check(
            "mount(\(spec.type) \(spec.source) on \(target))",
            berth_mount(spec.source, target, type, flags, data.isEmpty ? nil : data))
        if flags & berth_MS_BIND != 0, flags & berth_MS_RDONLY != 0 {
            _ = try check(
                "mount(remount,ro \(target))",
                berth_mount(nil, target, nil, flags | berth_MS_REMOUNT, nil))
        }
        if propagation != 0 {
            _ = try check("mount(propagation \(target))", berth_mount(nil, target, nil, propagation, nil))
        }
    }

    /// Unmounts everything stacked on `target` (EINVAL and ENOENT mean
    /// nothing is mounted there). `detach` uses MNT_DETACH. The
    /// corresponding C call is `umount2`.
    public static func unmountAll(_ target: String, detach: Bool = false) throws(SystemError) {
        while true {
            let rc = berth_umount(target, detach ? berth_MNT_DETACH : 0)
            if rc == -EINVAL || rc == -ENOENT { return }
            if rc < 0 { throw SystemError(call: "umount2(\(target))", negatedErrno: rc) }
        }
    }

    /// Whether `path` is a mount point listed in /proc/self/mountinfo.
    public static func isMountPoint(_ path: String) -> Bool {
        guard let text = FileSystem.readText("/proc/self/mountinfo", limit: 4 << 20) else { return false }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5)
            if fields.count > 4, fields[4] == path { return true }
        }
        return false
    }
}
