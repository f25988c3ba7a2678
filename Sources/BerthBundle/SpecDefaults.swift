public import BerthOCI

/// The defaults every generated spec starts from: the one documented place.
///
/// The values come from the JSON files in `runtime-spec/defaults/`, embedded
/// into the binary by `hack/embed-defaults.sh` (see ``embedded()``).
/// `runtime-spec/CONVERSION.md` describes each one and the options that
/// change it.
public struct SpecDefaults: Equatable, Sendable {
    /// `capabilities.json`: the bounding, effective and permitted set.
    public var capabilities: [String]
    /// `mounts.json`: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup.
    public var mounts: [Spec.Mount]
    /// `paths.json`: paths masked inside the container.
    public var maskedPaths: [String]
    /// `paths.json`: paths remounted read-only inside the container.
    public var readonlyPaths: [String]
    /// `devices.json`: the device cgroup rules, deny-all first.
    public var deviceRules: [Spec.Linux.Resources.DeviceRule]
    /// `namespaces.json`: the namespaces every container gets.
    public var namespaces: [Spec.Linux.Namespace]
    /// `process.json`: environment, working directory and rlimits.
    public var process: ProcessDefaults
    /// `container.json`: naming and placement defaults.
    public var container: ContainerDefaults
    /// `seccomp.json`: the default seccomp profile.
    public var seccomp: SeccompProfile

    /// The defaults of the process, from `process.json`.
    public struct ProcessDefaults: Codable, Equatable, Sendable {
        /// The base environment; holds the default `PATH`.
        public var env: [String]
        public var cwd: String
        public var rlimits: [Spec.POSIXRlimit]

        public init(env: [String], cwd: String, rlimits: [Spec.POSIXRlimit]) {
            self.env = env
            self.cwd = cwd
            self.rlimits = rlimits
        }
    }

    /// Naming and placement defaults, from `container.json`.
    public struct ContainerDefaults: Codable, Equatable, Sendable {
        /// The cgroup parent of `linux.cgroupsPath` (`<parent>/<id>`).
        public var cgroupParent: String
        /// How many characters of the container id make the hostname.
        public var hostnameLength: Int
        /// Where named and anonymous volumes live on the host.
        public var volumesRoot: String
        /// The variable added to the environment of a terminal process.
        public var terminalEnv: String

        public init(cgroupParent: String, hostnameLength: Int, volumesRoot: String, terminalEnv: String) {
            self.cgroupParent = cgroupParent
            self.hostnameLength = hostnameLength
            self.volumesRoot = volumesRoot
            self.terminalEnv = terminalEnv
        }
    }

    public init(
        capabilities: [String],
        mounts: [Spec.Mount],
        maskedPaths: [String],
        readonlyPaths: [String],
        deviceRules: [Spec.Linux.Resources.DeviceRule],
        namespaces: [Spec.Linux.Namespace],
        process: ProcessDefaults,
        container: ContainerDefaults,
        seccomp: SeccompProfile
    ) {
        self.capabilities = capabilities
        self.mounts = mounts
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.deviceRules = deviceRules
        self.namespaces = namespaces
        self.process = process
        self.container = container
        self.seccomp = seccomp
    }

    /// The default Linux spec, before the image and the options are applied.
    ///
    /// It runs `root` (uid 0, gid 0) with the default capabilities, rlimits and
    /// environment, in the default namespaces, with the default mounts, masked
    /// and read-only paths and device rules. It has no `args`, hostname,
    /// cgroups path or seccomp filter yet: those depend on the image and the
    /// container id and are set by ``BundleGenerator``.
    public func spec() -> Spec {
        let capabilitySets = Spec.Linux.Capabilities(
            bounding: capabilities,
            effective: capabilities,
            permitted: capabilities
        )
        let process = Spec.Process(
            user: Spec.User(uid: 0, gid: 0),
            env: process.env,
            cwd: process.cwd,
            capabilities: capabilitySets,
            rlimits: process.rlimits
        )
        let linux = Spec.Linux(
            resources: Spec.Linux.Resources(devices: deviceRules),
            namespaces: namespaces,
            maskedPaths: maskedPaths,
            readonlyPaths: readonlyPaths
        )
        return Spec(process: process, root: Spec.Root(path: "rootfs"), mounts: mounts, linux: linux)
    }
}
