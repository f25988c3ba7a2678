internal import BerthErrors
internal import BerthCapabilities
public import BerthOCI
internal import BerthSeccomp
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The running system, read through libcap, libseccomp and `uname(2)`.
public struct LiveHost: BundleHost {
    public let seccompArchitecture: String?
    public let kernelVersion: KernelVersion?
    public let privilegedCapabilities: [String]
    public let hostname: String

    /// Reads the facts once; they do not change while the process runs.
    ///
    /// `privilegedCapabilities` is every capability the kernel supports
    /// *intersected with this process's bounding set*: a runtime started from
    /// here cannot grant a capability outside it (runc fails with EPERM), so on
    /// a host whose bounding set lacks, say, `CAP_SYS_RESOURCE`, privileged
    /// containers lack it too.
    public init() {
        seccompArchitecture = Seccomp.nativeArchitecture
        kernelVersion = Self.runningKernel()
        let bounding = Set(Capabilities.boundingSet())
        privilegedCapabilities = Capabilities.supportedByKernel.filter { bounding.contains($0) }.map(\.name)
        hostname = Self.currentHostname()
    }

    public func knownSyscalls(_ names: [String], logger: Logger) -> [String] {
        Seccomp.filterKnown(names, logger: logger)
    }

    public func device(atPath path: String) throws(BundleError) -> Spec.Linux.Device {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BundleError(.notFound, "device \(path): \(String(cString: strerror(errno)))")
        }
        guard let device = Self.device(path: path, info: info) else {
            throw BundleError.invalid("\(path) is not a device node")
        }
        return device
    }

    public func allDevices() -> [Spec.Linux.Device] {
        var found: [Spec.Linux.Device] = []
        Self.collectDevices(in: "/dev", depth: 0, into: &found)
        return found.sorted { $0.path < $1.path }
    }

    static func runningKernel() -> KernelVersion? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        let release = withUnsafeBytes(of: &names.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(release)
    }

    static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
