/// Everything `berth system info` reports: the facts a bug report needs about
/// this host, Berth and the container executors it can use.
///
/// Gather it with ``gather(searchPath:logger:)``; render it with ``renderText()``
/// or ``renderJSON()``. Every field is plain data, so the JSON round-trips.
public struct SystemInfo: Codable, Sendable, Equatable {
    public var berth: BuildInfo
    public var host: HostInfo
    public var executors: [ExecutorInfo]
    public var cgroups: CgroupInfo
    public var seccomp: SeccompInfo
    public var capabilities: CapabilityInfo
    public var bpf: BPFInfo
    public var storage: StorageInfo

    public init(
        berth: BuildInfo, host: HostInfo, executors: [ExecutorInfo], cgroups: CgroupInfo,
        seccomp: SeccompInfo, capabilities: CapabilityInfo, bpf: BPFInfo, storage: StorageInfo
    ) {
        self.berth = berth
        self.host = host
        self.executors = executors
        self.cgroups = cgroups
        self.seccomp = seccomp
        self.capabilities = capabilities
        self.bpf = bpf
        self.storage = storage
    }

    /// The Berth build.
    public struct BuildInfo: Codable, Sendable, Equatable {
        public var version: String
        /// The OCI runtime-spec version Berth generates.
        public var ociRuntimeSpecVersion: String
    }

    /// The machine and its kernel.
    public struct HostInfo: Codable, Sendable, Equatable {
        /// `uname -s`, such as `Linux`.
        public var kernelName: String
        /// `uname -r`.
        public var kernelRelease: String
        /// `uname -v`.
        public var kernelVersion: String
        /// `uname -m`, such as `x86_64`.
        public var architecture: String
        /// `PRETTY_NAME` from os-release, when there is one.
        public var operatingSystem: String?
        /// Online CPUs.
        public var cpus: Int
        /// `MemTotal` from /proc/meminfo, in bytes.
        public var memoryBytes: UInt64?
    }

    /// The cgroup setup of the host.
    public struct CgroupInfo: Codable, Sendable, Equatable {
        /// nil when /sys/fs/cgroup could not be examined.
        public var mode: CgroupMode?
        /// Where the cgroup v2 hierarchy is mounted, if anywhere.
        public var v2MountPoint: String?
        /// Controllers the v2 root offers (`cgroup.controllers`).
        public var v2Controllers: [String]
        /// Controllers bound to a v1 hierarchy (from /proc/cgroups).
        public var v1Controllers: [String]
    }

    /// libseccomp and kernel seccomp support.
    public struct SeccompInfo: Codable, Sendable, Equatable {
        public var apiLevel: Int
        public var libraryVersion: String
        public var nativeArchitecture: String?
        /// The native architecture and the compat ones a default profile covers.
        public var architectures: [String]
        public var supportedActions: [String]
    }

    /// The capability bounding set against what the kernel supports.
    public struct CapabilityInfo: Codable, Sendable, Equatable {
        /// Canonical names, in number order.
        public var boundingSet: [String]
        /// Capabilities the kernel supports that the bounding set lacks.
        public var missingFromBoundingSet: [String]
        /// How many capabilities the kernel supports.
        public var kernelCount: Int
    }

    /// libbpf and the cgroup-device BPF program type (the cgroup v2 device controller).
    public struct BPFInfo: Codable, Sendable, Equatable {
        public var libbpfVersion: String
        /// `supported`, `unsupported` or `unknown`.
        public var cgroupDevice: String
        /// Why the probe could not answer, when `cgroupDevice` is `unknown`.
        public var cgroupDeviceError: String?
    }

    /// Image storage.
    public struct StorageInfo: Codable, Sendable, Equatable {
        public var defaultSnapshotter: String
        /// Whether `overlay` is listed in /proc/filesystems.
        public var overlayAvailable: Bool
    }
}
