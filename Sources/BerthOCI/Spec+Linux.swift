extension Spec {
    /// Linux-specific configuration.
    public struct Linux: Codable, Equatable, Hashable, Sendable {
        /// User namespace uid mapping.
        public var uidMappings: [IDMapping]?
        /// User namespace gid mapping.
        public var gidMappings: [IDMapping]?
        /// Kernel parameters set in the container, e.g. `net.ipv4.ip_forward`.
        public var sysctl: [String: String]?
        /// cgroup limits.
        public var resources: Resources?
        /// cgroup path: relative to the cgroup root, or `slice:prefix:name`
        /// with the systemd driver.
        public var cgroupsPath: String?
        /// Namespaces to create (no `path`) or join (with `path`).
        public var namespaces: [Namespace]?
        /// Device nodes to create in the container.
        public var devices: [Device]?
        public var seccomp: Seccomp?
        /// Mount propagation of the root filesystem:
        /// `private`, `shared`, `slave` or `unbindable`.
        public var rootfsPropagation: String?
        /// Paths made inaccessible inside the container.
        public var maskedPaths: [String]?
        /// Paths remounted read-only inside the container.
        public var readonlyPaths: [String]?
        /// SELinux context for the container's mounts.
        public var mountLabel: String?
        /// Intel Resource Director Technology settings.
        public var intelRdt: IntelRdt?
        /// Execution domain for `personality(2)`.
        public var personality: Personality?

        public init(
            uidMappings: [IDMapping]? = nil,
            gidMappings: [IDMapping]? = nil,
            sysctl: [String: String]? = nil,
            resources: Resources? = nil,
            cgroupsPath: String? = nil,
            namespaces: [Namespace]? = nil,
            devices: [Device]? = nil,
            seccomp: Seccomp? = nil,
            rootfsPropagation: String? = nil,
            maskedPaths: [String]? = nil,
            readonlyPaths: [String]? = nil,
            mountLabel: String? = nil,
            intelRdt: IntelRdt? = nil,
            personality: Personality? = nil
        ) {
            self.uidMappings = uidMappings
            self.gidMappings = gidMappings
            self.sysctl = sysctl
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.namespaces = namespaces
            self.devices = devices
            self.seccomp = seccomp
            self.rootfsPropagation = rootfsPropagation
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.mountLabel = mountLabel
            self.intelRdt = intelRdt
            self.personality = personality
        }
    }
}

extension Spec.Linux {
    /// A contiguous range of ids mapped from the container to the host.
    public struct IDMapping: Codable, Equatable, Hashable, Sendable {
        /// First id inside the container.
        public var containerID: UInt32
        /// First id on the host that `containerID` maps to.
        public var hostID: UInt32
        /// Number of ids in the range.
        public var size: UInt32

        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    /// A namespace the container creates or joins.
    public struct Namespace: Codable, Equatable, Hashable, Sendable {
        public var type: NamespaceType
        /// A namespace file (e.g. `/proc/1234/ns/net`) to join instead of
        /// creating a new namespace.
        public var path: String?

        public init(type: NamespaceType, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// The kind of a Linux namespace, as spelled in the spec (not the
    /// `/proc/PID/ns` file name: the spec says `network`, the kernel `net`).
    public struct NamespaceType: Spec.OpenString {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let pid = NamespaceType(rawValue: "pid")
        public static let network = NamespaceType(rawValue: "network")
        public static let mount = NamespaceType(rawValue: "mount")
        public static let ipc = NamespaceType(rawValue: "ipc")
        public static let uts = NamespaceType(rawValue: "uts")
        public static let user = NamespaceType(rawValue: "user")
        public static let cgroup = NamespaceType(rawValue: "cgroup")

        /// The types defined by the spec this build implements.
        public static let known: [NamespaceType] = [.pid, .network, .mount, .ipc, .uts, .user, .cgroup]
    }

    /// A device node created in the container with `mknod(2)`.
    public struct Device: Codable, Equatable, Hashable, Sendable {
        /// Absolute path of the node inside the container.
        public var path: String
        /// `c` (character), `b` (block), `u` (unbuffered character) or `p` (FIFO).
        public var type: String
        /// Major number; not needed for FIFOs.
        public var major: Int64?
        /// Minor number; not needed for FIFOs.
        public var minor: Int64?
        /// Permission bits of the node.
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?

        public init(
            path: String,
            type: String,
            major: Int64? = nil,
            minor: Int64? = nil,
            fileMode: UInt32? = nil,
            uid: UInt32? = nil,
            gid: UInt32? = nil
        ) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    /// Intel RDT (resctrl) class of service and monitoring.
    public struct IntelRdt: Codable, Equatable, Hashable, Sendable {
        /// Name of the resctrl group (class of service).
        public var closID: String?
        /// L3 cache allocation schema, `L3:<id>=<mask>;...`.
        public var l3CacheSchema: String?
        /// Memory bandwidth schema, `MB:<id>=<bw>;...`.
        public var memBwSchema: String?
        /// Enable Cache Monitoring Technology.
        public var enableCMT: Bool?
        /// Enable Memory Bandwidth Monitoring.
        public var enableMBM: Bool?

        public init(
            closID: String? = nil,
            l3CacheSchema: String? = nil,
            memBwSchema: String? = nil,
            enableCMT: Bool? = nil,
            enableMBM: Bool? = nil
        ) {
            self.closID = closID
            self.l3CacheSchema = l3CacheSchema
            self.memBwSchema = memBwSchema
            self.enableCMT = enableCMT
            self.enableMBM = enableMBM
        }
    }

    /// Arguments for `personality(2)`.
    public struct Personality: Codable, Equatable, Hashable, Sendable {
        public var domain: Domain?
        /// Additional personality flags; the spec defines none yet.
        public var flags: [String]?

        public init(domain: Domain? = nil, flags: [String]? = nil) {
            self.domain = domain
            self.flags = flags
        }

        /// The execution domain.
        public struct Domain: Spec.OpenString {
            public var rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }

            public static let linux = Domain(rawValue: "LINUX")
            /// 32-bit (`uname -m` reports i686).
            public static let linux32 = Domain(rawValue: "LINUX32")
        }
    }
}
