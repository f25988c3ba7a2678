public import BerthOCI

/// Everything a user can ask of a container, as `berth run`/`berth spec` flags
/// (and Docker's `docker run`) express it. ``BundleGenerator`` turns these
/// into an ordered list of ``SpecOption`` values over ``SpecDefaults``.
///
/// Every property's default means "leave the default spec alone".
/// `runtime-spec/CONVERSION.md` documents the effect of each one.
public struct SpecOptions: Equatable, Sendable {
    /// The container id: names the hostname and the cgroup. Must be a valid
    /// ``BerthOCI/Identifier``.
    public var containerID: String

    // MARK: process

    /// Replaces the image's `Entrypoint` and drops its `Cmd`. `[]` clears both.
    public var entrypoint: [String]?
    /// Replaces the image's `Cmd` when non-empty (the arguments after the image).
    public var command: [String] = []
    /// `KEY=value` entries added to (and overriding) the image's `Env`; a bare
    /// `KEY` removes the variable.
    public var env: [String] = []
    /// Replaces the image's `User`: `name`, `uid`, `name:group`, `uid:gid`, `uid:group`.
    public var user: String?
    /// Replaces the image's `WorkingDir`; must be absolute.
    public var workdir: String?
    /// Attach a terminal (`process.terminal`); adds `TERM=xterm` unless set.
    public var tty = false
    /// Keep stdin open. There is no `config.json` field for it; `berth run`
    /// uses it to wire the container's input.
    public var stdin = false

    // MARK: identity

    /// The hostname; by default the first 12 characters of the container id.
    public var hostname: String?
    /// Annotations added last, over the image's labels and implicit annotations.
    public var annotations: [String: String] = [:]

    // MARK: filesystem

    /// Mount the root filesystem read-only.
    public var readOnlyRootfs = false
    /// Bind, volume and tmpfs mounts, in the order given.
    public var mounts: [MountRequest] = []
    /// Where volumes live on the host; by default ``SpecDefaults/ContainerDefaults/volumesRoot``.
    public var volumesRoot: String?
    /// What to do with the image's `Volumes`.
    public var imageVolumes: ImageVolumePolicy = .anonymous

    // MARK: security

    /// Capability names to add (`NET_ADMIN`, `CAP_NET_ADMIN` or `ALL`).
    public var capAdd: [String] = []
    /// Capability names to drop (`ALL` drops every default one).
    public var capDrop: [String] = []
    /// Every capability, every device, no masked or read-only paths, no
    /// seccomp filter (unless one is chosen explicitly), writable /sys.
    public var privileged = false
    /// The seccomp profile; nil means the default one (none when privileged).
    public var seccomp: SeccompChoice?
    /// Set `no_new_privs` before exec.
    public var noNewPrivileges = false

    // MARK: resources

    /// Resource limits; each replaces the default of the same type.
    public var rlimits: [Spec.POSIXRlimit] = []
    /// Memory limit in bytes.
    public var memory: Int64?
    /// Memory plus swap limit in bytes; -1 is unlimited. Unset with `memory`
    /// set means twice `memory`, as Docker does.
    public var memorySwap: Int64?
    /// Memory soft limit in bytes.
    public var memoryReservation: Int64?
    /// CPU limit in billionths of a CPU (`--cpus 1.5` is 1_500_000_000).
    public var nanoCPUs: Int64?
    /// CFS period in microseconds.
    public var cpuPeriod: UInt64?
    /// CFS quota in microseconds.
    public var cpuQuota: Int64?
    /// Relative CPU weight (cgroup v1 shares).
    public var cpuShares: UInt64?
    /// CPUs the container may run on, e.g. `0-3,6`.
    public var cpusetCpus: String?
    /// Memory nodes the container may use.
    public var cpusetMems: String?
    /// Maximum number of tasks; 0 or less means unlimited.
    public var pidsLimit: Int64?
    /// Host devices to add.
    public var devices: [DeviceRequest] = []
    /// Namespaced kernel parameters.
    public var sysctls: [String: String] = [:]

    // MARK: namespaces

    public var network: NamespaceMode = .private
    public var pid: NamespaceMode = .private
    public var ipc: NamespaceMode = .private
    public var uts: NamespaceMode = .private
    /// User-namespace uid mappings; non-empty adds a user namespace.
    public var uidMappings: [Spec.Linux.IDMapping] = []
    /// User-namespace gid mappings; empty with uid mappings means the same ranges.
    public var gidMappings: [Spec.Linux.IDMapping] = []

    // MARK: placement

    /// The parent of the container's cgroup: the cgroups path becomes `<parent>/<id>`.
    public var cgroupParent: String?
    /// The exact cgroups path, overriding `cgroupParent`.
    public var cgroupsPath: String?
    /// `oom_score_adj`, -1000...1000.
    public var oomScoreAdj: Int?
    /// Hooks appended to each lifecycle stage.
    public var hooks: Spec.Hooks?

    public init(containerID: String) {
        self.containerID = containerID
    }
}

extension SpecOptions {
    /// How a namespace is obtained.
    public enum NamespaceMode: Equatable, Sendable {
        /// A new namespace (the default). For the network this is Docker's
        /// `none`: a loopback-only network.
        case `private`
        /// The host's namespace: no namespace entry in the spec.
        case host
        /// Join the namespace at this path (`/proc/PID/ns/net`, a bind mount).
        case path(String)
    }

    /// Which seccomp profile the container gets.
    public enum SeccompChoice: Equatable, Sendable {
        /// `runtime-spec/defaults/seccomp.json`.
        case `default`
        /// No filter.
        case unconfined
        /// A profile the caller loaded (from `--security-opt seccomp=FILE`).
        case profile(SeccompProfile)
    }

    /// What becomes of the paths in the image's `Volumes`.
    public enum ImageVolumePolicy: Equatable, Sendable {
        /// An anonymous volume for each path no user mount covers: a bind
        /// mount of `<volumesRoot>/<container id>-anon<N>/_data`, numbering
        /// the image's volume paths in sorted order from 0.
        case anonymous
        /// Leave them in the root filesystem.
        case ignore
    }
}
