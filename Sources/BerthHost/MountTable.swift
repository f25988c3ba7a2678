/// The mounts of this process's mount namespace, from /proc/self/mountinfo.
///
/// Used to learn a path's filesystem type. (`statfs(2)` would give the same
/// answer, but Glibc's Swift module does not export it; see ``fileSystemType(of:)``.)
struct MountTable {
    /// One mountinfo line: where it is mounted and what filesystem it is.
    struct Mount: Equatable {
        var mountPoint: String
        var fileSystemType: String
    }

    var mounts: [Mount]

    /// Reads /proc/self/mountinfo; empty when it cannot be read.
    static func current() -> MountTable {
        MountTable(parsing: HostFiles.contents(of: "/proc/self/mountinfo") ?? "")
    }

    /// Parses mountinfo text:
    /// `id parent major:minor root mount-point options [optional…] - type source super-options`.
    init(parsing text: String) {
        mounts = HostFiles.lines(text).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 7, let separator = fields.firstIndex(of: "-"), separator + 1 < fields.count
            else { return nil }
            return Mount(
                mountPoint: Self.unescape(fields[4]), fileSystemType: String(fields[separator + 1]))
        }
    }

    /// The type of the filesystem `path` is on, as statfs would see it: the
    /// last-mounted entry with the longest mount point containing `path`.
    /// `path` must be absolute and free of symlinks and `..`.
    func fileSystemType(of path: String) -> String? {
        var best: Mount?
        for mount in mounts where Self.contains(mount.mountPoint, path) {
            if let current = best, current.mountPoint.count > mount.mountPoint.count { continue }
            best = mount
        }
        return best?.fileSystemType
    }

    /// Whether `path` is `mountPoint` or below it.
    private static func contains(_ mountPoint: String, _ path: String) -> Bool {
        if mountPoint == "/" || mountPoint == path { return true }
        return path.hasPrefix(mountPoint + "/")
    }

    /// Undoes mountinfo's octal escapes (`\040` for a space).
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
