/// A seccomp profile as Docker and containerd users write it: the runtime-spec
/// `linux.seccomp` object plus `archMap` and per-rule `includes`/`excludes`
/// conditions, evaluated at generation time against the container's
/// capabilities, the host architecture and the kernel version.
///
/// A plain runtime-spec `linux.seccomp` object (no `archMap`, no conditions)
/// is a valid profile too. `runtime-spec/defaults/seccomp.json` is one of these
/// documents; `--security-opt seccomp=FILE` reads another.
public struct SeccompProfile: Codable, Equatable, Hashable, Sendable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt?
    /// Architectures used verbatim when there is no `archMap`.
    public var architectures: [String]?
    /// For each native architecture, the compat ones filtered with it.
    public var archMap: [ArchitectureMap]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Rule]?

    public init(
        defaultAction: String,
        defaultErrnoRet: UInt? = nil,
        architectures: [String]? = nil,
        archMap: [ArchitectureMap]? = nil,
        flags: [String]? = nil,
        listenerPath: String? = nil,
        listenerMetadata: String? = nil,
        syscalls: [Rule]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }

    /// A native architecture and the compat architectures that go with it.
    public struct ArchitectureMap: Codable, Equatable, Hashable, Sendable {
        public var architecture: String
        public var subArchitectures: [String]?

        public init(architecture: String, subArchitectures: [String]? = nil) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// One rule. `name` is Docker's older single-name spelling of `names`.
    public struct Rule: Codable, Equatable, Hashable, Sendable {
        public var names: [String]?
        public var name: String?
        public var action: String
        public var errnoRet: UInt?
        public var args: [Arg]?
        /// The rule applies only when all of these hold.
        public var includes: Filter?
        /// The rule is skipped when any of these holds.
        public var excludes: Filter?
        /// Free text for readers; not used.
        public var comment: String?

        public init(
            names: [String]? = nil,
            name: String? = nil,
            action: String,
            errnoRet: UInt? = nil,
            args: [Arg]? = nil,
            includes: Filter? = nil,
            excludes: Filter? = nil,
            comment: String? = nil
        ) {
            self.names = names
            self.name = name
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
            self.comment = comment
        }

        /// `names`, plus `name` when given.
        public var allNames: [String] { (names ?? []) + (name.map { [$0] } ?? []) }
    }

    /// A condition on one system call argument, as in the runtime spec.
    public struct Arg: Codable, Equatable, Hashable, Sendable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String

        public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// When a rule applies.
    ///
    /// - `caps`: capability names checked against the bounding set.
    /// - `arches`: `SCMP_ARCH_*` names (Go names such as `amd64` are accepted
    ///   too) checked against the native architecture.
    /// - `minKernel`: `MAJOR.MINOR`, checked against the running kernel.
    public struct Filter: Codable, Equatable, Hashable, Sendable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: String?

        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }
}
