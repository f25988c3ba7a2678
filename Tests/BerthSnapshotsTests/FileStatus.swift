import CBerthSys
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// lstat of a path, for assertions.
struct FileStatus {
    let raw: stat

    init(_ path: String) throws {
        var buffer = stat()
        guard lstat(path, &buffer) == 0 else {
            throw TestFailure("lstat \(path): \(String(cString: strerror(errno)))")
        }
        raw = buffer
    }

    var type: mode_t { raw.st_mode & S_IFMT }
    var permissions: mode_t { raw.st_mode & 0o7777 }
    var uid: uid_t { raw.st_uid }
    var gid: gid_t { raw.st_gid }
    var inode: UInt64 { UInt64(raw.st_ino) }
    var size: Int64 { Int64(raw.st_size) }
    var modificationSeconds: Int { Int(raw.st_mtim.tv_sec) }
    var major: UInt32 { berth_major(UInt64(raw.st_rdev)) }
    var minor: UInt32 { berth_minor(UInt64(raw.st_rdev)) }

    /// The value of an extended attribute, or nil.
    static func xattr(_ path: String, _ name: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { berth_lgetxattr(path, name, $0.baseAddress, $0.count) }
        return n < 0 ? nil : Array(buffer[0..<n])
    }
}
