#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension SystemInfo.HostInfo {
    /// Reads uname, os-release, the online CPU count and /proc/meminfo.
    static func current() -> SystemInfo.HostInfo {
        var names = utsname()
        let ok = uname(&names) == 0
        return SystemInfo.HostInfo(
            kernelName: ok ? string(names.sysname) : "unknown",
            kernelRelease: ok ? string(names.release) : "unknown",
            kernelVersion: ok ? string(names.version) : "unknown",
            architecture: ok ? string(names.machine) : "unknown",
            operatingSystem: operatingSystem(),
            cpus: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memoryBytes: memoryBytes()
        )
    }

    /// `PRETTY_NAME` from /etc/os-release (or /usr/lib/os-release), unquoted.
    static func operatingSystem() -> String? {
        guard let text = HostFiles.contents(of: "/etc/os-release") ?? HostFiles.contents(of: "/usr/lib/os-release")
        else { return nil }
        for line in HostFiles.lines(text) where line.hasPrefix("PRETTY_NAME=") {
            var value = line.dropFirst("PRETTY_NAME=".count).trimmingSpaces()
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }

    /// `MemTotal` from /proc/meminfo, in bytes.
    static func memoryBytes() -> UInt64? {
        guard let text = HostFiles.contents(of: "/proc/meminfo") else { return nil }
        for line in HostFiles.lines(text) where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kibibytes = UInt64(fields[1]) else { return nil }
            return kibibytes * 1024
        }
        return nil
    }

    /// Decodes a NUL-terminated `utsname` field.
    private static func string<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
