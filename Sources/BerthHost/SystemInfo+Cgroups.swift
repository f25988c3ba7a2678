import BerthSystem

extension SystemInfo.CgroupInfo {
    /// Examines /sys/fs/cgroup (or `root`).
    static func current(root: String = "/sys/fs/cgroup") -> SystemInfo.CgroupInfo {
        let mode = detectMode(root: root)
        let v2MountPoint: String? =
            switch mode {
            case .unified: root
            case .hybrid: root + "/unified"
            case .legacy, nil: nil
            }
        let v2Controllers =
            v2MountPoint
            .flatMap { HostFiles.contents(of: $0 + "/cgroup.controllers") }
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) } ?? []
        return SystemInfo.CgroupInfo(
            mode: mode, v2MountPoint: v2MountPoint, v2Controllers: v2Controllers,
            v1Controllers: mode == .unified ? [] : v1Controllers())
    }

    /// The cgroup mode, from the filesystem types at `root` and `root/unified`
    /// (the `f_type` statfs reports: `CGROUP2_SUPER_MAGIC` or `TMPFS_MAGIC`):
    /// cgroup2 at `root` is unified; a tmpfs there with cgroup2 at
    /// `root/unified` is hybrid; anything else is legacy. Nil when `root`
    /// cannot be examined.
    public static func detectMode(root: String = "/sys/fs/cgroup") -> CgroupMode? {
        guard let type = try? FileSystemType.of(root) else { return nil }
        if type == .cgroup2 { return .unified }
        if type == .tmpfs, (try? FileSystemType.of(root + "/unified")) == .cgroup2 { return .hybrid }
        return .legacy
    }

    /// Enabled controllers bound to a v1 hierarchy, from /proc/cgroups.
    static func v1Controllers() -> [String] {
        guard let text = HostFiles.contents(of: "/proc/cgroups") else { return [] }
        return HostFiles.lines(text).compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 4, fields[1] != "0", fields[3] == "1" else { return nil }
            return String(fields[0])
        }
    }
}
