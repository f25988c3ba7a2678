internal import BerthOCI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LiveHost {
    /// Directories of `/dev` that are per-container or not device nodes,
    /// skipped as runc skips them when listing host devices.
    static let skippedDeviceDirectories: Set<String> = [
        "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev",
    ]

    /// A device description from `stat` data, or nil for anything but a
    /// character device, block device or FIFO.
    static func device(path: String, info: stat) -> Spec.Linux.Device? {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFCHR: kind = "c"
        case S_IFBLK: kind = "b"
        case S_IFIFO: kind = "p"
        default: return nil
        }
        let rdev = UInt64(info.st_rdev)
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
        let minor = (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff))
        return Spec.Linux.Device(
            path: path,
            type: kind,
            major: kind == "p" ? nil : Int64(major),
            minor: kind == "p" ? nil : Int64(minor),
            fileMode: UInt32(info.st_mode & 0o7777),
            uid: info.st_uid,
            gid: info.st_gid
        )
    }

    /// Adds the character and block devices under `directory`, without
    /// following symbolic links.
    static func collectDevices(in directory: String, depth: Int, into found: inout [Spec.Linux.Device]) {
        guard depth < 8, let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if !skippedDeviceDirectories.contains(name) {
                    collectDevices(in: path, depth: depth + 1, into: &found)
                }
            case S_IFCHR, S_IFBLK:
                if path != "/dev/console", let device = device(path: path, info: info) {
                    found.append(device)
                }
            default:
                continue
            }
        }
    }
}
