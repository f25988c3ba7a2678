import BerthBPF
import BerthCapabilities
import BerthSeccomp
import BerthSystem
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension SystemInfo {
    /// The snapshotter Berth uses unless configured otherwise.
    public static let defaultSnapshotter = "overlayfs"

    /// Gathers every fact about this host. Never fails: what cannot be
    /// learned is left empty or reported as a warning on the executor.
    ///
    /// - Parameter searchPath: where to look for executors; nil means `$PATH`.
    public static func gather(searchPath: [String]? = nil, logger: Logger) -> SystemInfo {
        let path = searchPath ?? environmentPath()
        return SystemInfo(
            berth: BuildInfo(version: BerthBuild.version, ociRuntimeSpecVersion: BerthBuild.ociRuntimeSpecVersion),
            host: .current(),
            executors: ExecutorInfo.discover(searchPath: path, logger: logger),
            cgroups: .current(),
            seccomp: .current(),
            capabilities: .current(),
            bpf: .current(),
            storage: .current()
        )
    }

    /// `$PATH` split into directories.
    static func environmentPath() -> [String] {
        guard let raw = getenv("PATH") else { return [] }
        return String(cString: raw).split(separator: ":").map(String.init)
    }
}

extension SystemInfo.SeccompInfo {
    static func current() -> SystemInfo.SeccompInfo {
        SystemInfo.SeccompInfo(
            apiLevel: Seccomp.apiLevel,
            libraryVersion: Seccomp.libraryVersion,
            nativeArchitecture: Seccomp.nativeArchitecture,
            architectures: Seccomp.hostArchitectures,
            supportedActions: Seccomp.supportedActions
        )
    }
}

extension SystemInfo.CapabilityInfo {
    static func current() -> SystemInfo.CapabilityInfo {
        let kernel = Capabilities.supportedByKernel
        let bounding = Capabilities.boundingSet()
        let inBounding = Set(bounding)
        return SystemInfo.CapabilityInfo(
            boundingSet: bounding.map(\.name),
            missingFromBoundingSet: kernel.filter { !inBounding.contains($0) }.map(\.name),
            kernelCount: kernel.count
        )
    }
}

extension SystemInfo.BPFInfo {
    static func current() -> SystemInfo.BPFInfo {
        let support = BPF.probeCgroupDeviceSupport()
        var error: String?
        if case .unknown(let problem) = support {
            error = problem.message
        }
        return SystemInfo.BPFInfo(
            libbpfVersion: BPF.libbpfVersion, cgroupDevice: support.name, cgroupDeviceError: error)
    }
}

extension SystemInfo.StorageInfo {
    static func current() -> SystemInfo.StorageInfo {
        let filesystems = HostFiles.contents(of: "/proc/filesystems") ?? ""
        let overlay = HostFiles.lines(filesystems).contains { line in
            line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last == "overlay"
        }
        return SystemInfo.StorageInfo(defaultSnapshotter: SystemInfo.defaultSnapshotter, overlayAvailable: overlay)
    }
}
