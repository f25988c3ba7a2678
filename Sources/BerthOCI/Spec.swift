/// The OCI runtime-spec container configuration: the `config.json` of a bundle.
///
/// Every type that appears in `config.json` is nested under this namespace.
/// Naming follows the upstream Go package with the platform prefix turned into
/// nesting: Go's `LinuxDevice` is `Spec.Linux.Device`, `WindowsHyperV` is
/// `Spec.Windows.HyperV`, `VMKernel` is `Spec.VM.Kernel`. Types shared by
/// several platforms (`Process`, `User`, `Mount`, `Hook`, `POSIXRlimit`, `Box`)
/// sit directly under `Spec`. The runtime state document (`state.json`) is
/// modelled separately as ``ContainerState``.
///
/// Swift property names are the JSON keys. Requiredness follows the JSON
/// schema shipped with the spec: a property the schema requires is
/// non-optional, every other property is `Optional` and is left out of the
/// encoded JSON when `nil`, matching what runc and containerd write.
public struct Spec: Codable, Equatable, Hashable, Sendable {
    /// The runtime-spec version this build writes by default.
    public static let defaultOCIVersion = "1.0.2-dev"

    /// The runtime-spec version the document complies with (SemVer).
    public var ociVersion: String
    /// The container's init process. Optional so that a bundle can be created
    /// before the process is known; `start` requires it.
    public var process: Process?
    /// The container's root filesystem.
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    /// Extra mounts, applied in order on top of `root`.
    public var mounts: [Mount]?
    /// Lifecycle hooks (Linux, Solaris, z/OS).
    public var hooks: Hooks?
    /// Arbitrary metadata; keys are reverse-domain names by convention.
    public var annotations: [String: String]?
    public var linux: Linux?
    public var solaris: Solaris?
    public var windows: Windows?
    public var vm: VM?
    public var zos: ZOS?

    public init(
        ociVersion: String = Spec.defaultOCIVersion,
        process: Process? = nil,
        root: Root? = nil,
        hostname: String? = nil,
        domainname: String? = nil,
        mounts: [Mount]? = nil,
        hooks: Hooks? = nil,
        annotations: [String: String]? = nil,
        linux: Linux? = nil,
        solaris: Solaris? = nil,
        windows: Windows? = nil,
        vm: VM? = nil,
        zos: ZOS? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
        self.solaris = solaris
        self.windows = windows
        self.vm = vm
        self.zos = zos
    }
}

extension Spec {
    /// The container's root filesystem on the host.
    public struct Root: Codable, Equatable, Hashable, Sendable {
        /// Path to the root filesystem, absolute or relative to the bundle.
        public var path: String
        /// Make the root filesystem read-only inside the container.
        public var readonly: Bool?

        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }
}
