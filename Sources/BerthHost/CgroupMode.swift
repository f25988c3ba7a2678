/// How the host mounts cgroups.
public enum CgroupMode: String, Codable, Sendable, CaseIterable {
    /// Only cgroup v2, mounted at /sys/fs/cgroup.
    case unified
    /// v1 hierarchies under a tmpfs at /sys/fs/cgroup plus a v2 mount at
    /// /sys/fs/cgroup/unified (systemd's hybrid layout).
    case hybrid
    /// Only v1 hierarchies.
    case legacy
}
