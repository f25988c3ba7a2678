import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Memory readings from /proc for `berth bench`.
enum BenchMemory {
    /// One process's Private_Dirty and PSS (KiB).
    struct Sample: Sendable {
        var privateDirty: Int
        var pss: Int
    }

    /// The shim of the task whose init is `pid`: its parent (the shim is the
    /// container's subreaper), measured from `smaps_rollup`.
    static func shim(ofTask pid: Int32) -> Sample? {
        guard let parent = parentPID(of: pid), parent > 1,
            let rollup = try? String(contentsOfFile: "/proc/\(parent)/smaps_rollup", encoding: .utf8)
        else { return nil }
        return Sample(privateDirty: field("Private_Dirty", in: rollup), pss: field("Pss", in: rollup))
    }

    /// berthd's VmRSS (KiB): the peer of a connection to its socket
    /// (SO_PEERCRED), so it is exactly the daemon behind `address`.
    static func daemonRSS(address: String) -> Int? {
        guard let pid = peerPID(of: address),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        return field("VmRSS", in: status)
    }

    static func parentPID(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The value of `name:` in a /proc key-value file (KiB).
    static func field(_ name: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    static func peerPID(of path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        // struct ucred {pid, uid, gid}; Glibc hides it behind _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials.pid
    }
}
