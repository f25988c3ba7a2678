import BerthSystem
import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Extended attributes of an open file, or of a directory entry that cannot
/// be opened (a symlink or device), reached without following it.
package enum ExtendedAttributes {
    /// Which file: an open descriptor, or a name in a directory (not followed).
    package enum Target {
        case descriptor(Int32)
        case entry(directory: Int32, name: FileName)

        /// `/proc/self/fd/<dir>/<name>`: resolves the directory through our
        /// own descriptor, then the name with the l* calls (no follow).
        fileprivate var procPath: [UInt8] {
            switch self {
            case .descriptor(let fd): Array("/proc/self/fd/\(fd)".utf8)
            case .entry(let directory, let name): Array("/proc/self/fd/\(directory)/".utf8) + name
            }
        }
    }

    /// Every attribute name and value.
    package static func list(_ target: Target) throws(SystemError) -> [(String, [UInt8])] {
        var names = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = names.withUnsafeMutableBytes { buffer in
                listRaw(target, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
            }
            if n < 0 {
                let code = Int32(-n)
                if code == ERANGE {
                    names = [UInt8](repeating: 0, count: names.count * 4)
                    continue
                }
                if code == ENOTSUP || code == ENODATA { return [] }
                throw SystemError(call: "listxattr", errno: code)
            }
            var result: [(String, [UInt8])] = []
            for name in names[0..<n].split(separator: 0) {
                let text = String(decoding: name, as: UTF8.self)
                if let value = try get(target, text) {
                    result.append((text, value))
                }
            }
            return result
        }
    }

    /// One attribute's value, or nil if absent.
    package static func get(_ target: Target, _ name: String) throws(SystemError) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: 256)
        while true {
            let n = value.withUnsafeMutableBytes { buffer in
                getRaw(target, name, buffer.baseAddress, buffer.count)
            }
            if n < 0 {
                let code = Int32(-n)
                if code == ERANGE {
                    value = [UInt8](repeating: 0, count: value.count * 8)
                    continue
                }
                if code == ENODATA || code == ENOTSUP { return nil }
                throw SystemError(call: "getxattr(\(name))", errno: code)
            }
            return Array(value[0..<n])
        }
    }

    /// Sets one attribute.
    package static func set(_ target: Target, _ name: String, _ value: [UInt8]) throws(SystemError) {
        let rc = value.withUnsafeBytes { buffer in
            switch target {
            case .descriptor(let fd):
                return berth_fsetxattr(fd, name, buffer.baseAddress, buffer.count)
            case .entry:
                return target.procPath.withCName { berth_lsetxattr($0, name, buffer.baseAddress, buffer.count) }
            }
        }
        if rc < 0 {
            throw SystemError(call: "setxattr(\(name))", negatedErrno: rc)
        }
    }

    private static func listRaw(_ target: Target, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int {
        switch target {
        case .descriptor(let fd): berth_flistxattr(fd, buffer, size)
        case .entry: target.procPath.withCName { berth_llistxattr($0, buffer, size) }
        }
    }

    private static func getRaw(_ target: Target, _ name: String, _ buffer: UnsafeMutableRawPointer?, _ size: Int)
        -> Int
    {
        switch target {
        case .descriptor(let fd): berth_fgetxattr(fd, name, buffer, size)
        case .entry: target.procPath.withCName { berth_lgetxattr($0, name, buffer, size) }
        }
    }
}
