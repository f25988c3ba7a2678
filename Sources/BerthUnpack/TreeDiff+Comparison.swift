import BerthArchive
import BerthSnapshots
import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension TreeDiff {
    /// Whether `name` is the same file in the lower and upper directories.
    static func same(
        _ lower: stat, _ upper: stat, name: [UInt8], lower lowerDirectory: Int32, upper upperDirectory: Int32
    )
        throws -> Bool
    {
        guard lower.st_mode == upper.st_mode, lower.st_uid == upper.st_uid, lower.st_gid == upper.st_gid,
            lower.st_rdev == upper.st_rdev
        else { return false }
        let type = upper.st_mode & S_IFMT
        if type != S_IFDIR {
            guard lower.st_size == upper.st_size, lower.st_mtim.tv_sec == upper.st_mtim.tv_sec else { return false }
            if lower.st_mtim.tv_nsec != upper.st_mtim.tv_nsec {
                return false
            }
            if lower.st_mtim.tv_nsec == 0 {
                // Both times may have been truncated: let the content decide.
                if type == S_IFLNK {
                    guard
                        try symlinkTarget(name, in: lowerDirectory) == symlinkTarget(name, in: upperDirectory)
                    else { return false }
                } else if type == S_IFREG, upper.st_size > 0 {
                    guard try sameContent(name, lower: lowerDirectory, upper: upperDirectory) else { return false }
                }
            }
        }
        return try attributes(.entry(directory: lowerDirectory, name: name))
            == attributes(.entry(directory: upperDirectory, name: name))
    }

    /// Extended attributes, sorted by name, without overlayfs's own.
    static func attributes(_ target: ExtendedAttributes.Target) throws -> [TarEntry.ExtendedAttribute] {
        try ExtendedAttributes.list(target)
            .filter { !$0.0.hasPrefix("trusted.overlay.") }
            .map { TarEntry.ExtendedAttribute(name: $0.0, value: $0.1) }
            .sorted { $0.name < $1.name }
    }

    /// The target of the symlink `name` in `directory`.
    static func symlinkTarget(_ name: [UInt8], in directory: Int32) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in
                    guard let base = chars.baseAddress else { return -1 }
                    return name.withCName { readlinkat(directory, $0, base, chars.count) }
                }
            }
            if count < 0 {
                throw SystemError(call: "readlink(\(name.displayName))", errno: errno)
            }
            if count < buffer.count {
                return Array(buffer[0..<count])
            }
            buffer = [UInt8](repeating: 0, count: buffer.count * 4)
        }
    }

    /// Opens the regular file `name` in `directory` for reading, never
    /// following a symlink.
    static func openFile(_ name: [UInt8], in directory: Int32) throws -> FileDescriptor {
        let fd = name.withCName { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY) }
        if fd < 0 {
            throw SystemError(call: "open(\(name.displayName))", errno: errno)
        }
        return FileDescriptor(fd)
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, name: [UInt8]) throws -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw SystemError(call: "read(\(name.displayName))", errno: errno)
        }
    }

    /// Compares two files of equal size byte by byte.
    static func sameContent(_ name: [UInt8], lower: Int32, upper: Int32) throws -> Bool {
        let left = try openFile(name, in: lower)
        let right = try openFile(name, in: upper)
        let chunk = 32 << 10
        var leftBuffer = [UInt8](repeating: 0, count: chunk)
        var rightBuffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let leftCount = try leftBuffer.withUnsafeMutableBytes { try read(left.raw, into: $0, name: name) }
            var rightCount = 0
            while rightCount < leftCount {
                let count = try rightBuffer.withUnsafeMutableBytes {
                    try read(
                        right.raw, into: UnsafeMutableRawBufferPointer(rebasing: $0[rightCount..<leftCount]), name: name
                    )
                }
                if count == 0 { return false }
                rightCount += count
            }
            if leftCount == 0 {
                var probe: UInt8 = 0
                return try withUnsafeMutableBytes(of: &probe) { try read(right.raw, into: $0, name: name) } == 0
            }
            if leftBuffer[0..<leftCount] != rightBuffer[0..<leftCount] {
                return false
            }
        }
    }
}
