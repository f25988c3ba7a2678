#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension BPF {
    /// Kernel capability numbers (linux/capability.h; fixed by the kernel ABI).
    private static let capNetAdmin: UInt64 = 12
    private static let capSysAdmin: UInt64 = 21
    private static let capBPF: UInt64 = 39

    /// Whether this process may load a cgroup-device program: the kernel
    /// wants CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN. Read from `CapEff`
    /// in /proc/self/status (BerthCapabilities is the libcap user, and this
    /// module may not import it). True when the status cannot be read, so
    /// the probe's own answer stands.
    static func mayLoadCgroupDevicePrograms() -> Bool {
        guard let effective = effectiveCapabilityMask() else { return true }
        func has(_ bit: UInt64) -> Bool { effective & (1 << bit) != 0 }
        return has(capSysAdmin) || (has(capBPF) && has(capNetAdmin))
    }

    /// The `CapEff:` mask of /proc/self/status.
    private static func effectiveCapabilityMask() -> UInt64? {
        guard let file = fopen("/proc/self/status", "re") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix("CapEff:") else { continue }
            let hex = line.dropFirst("CapEff:".count).filter { $0.isHexDigit }
            return UInt64(hex, radix: 16)
        }
        return nil
    }
}
