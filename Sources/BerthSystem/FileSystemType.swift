import CBerthSys

/// The type of filesystem mounted at a path, as `statfs(2)` reports it.
public struct FileSystemType: Hashable, Sendable, CustomStringConvertible {
    /// The filesystem magic number (`f_type`).
    public let magic: Int64

    public init(magic: Int64) {
        self.magic = magic
    }

    public static let cgroup2 = FileSystemType(magic: berth_CGROUP2_SUPER_MAGIC)
    public static let cgroup = FileSystemType(magic: berth_CGROUP_SUPER_MAGIC)
    public static let tmpfs = FileSystemType(magic: berth_TMPFS_MAGIC)
    public static let overlay = FileSystemType(magic: berth_OVERLAYFS_SUPER_MAGIC)

    /// The filesystem type of the mount holding `path`. The corresponding C
    /// call is `statfs`.
    public static func of(_ path: String) throws(SystemError) -> FileSystemType {
        var magic: Int64 = 0
        _ = try check("statfs(\(path))", berth_statfs_type(path, &magic))
        return FileSystemType(magic: magic)
    }

    public var description: String {
        switch self {
        case .cgroup2: "cgroup2"
        case .cgroup: "cgroup"
        case .tmpfs: "tmpfs"
        case .overlay: "overlay"
        default: "0x" + String(magic, radix: 16)
        }
    }
}
