/// The runtime state of a container: what `runc state` prints and what
/// hooks receive on stdin (the runtime-spec `state.json`).
///
/// Kept outside ``Spec`` because it describes a running container rather
/// than its configuration.
public struct ContainerState: Codable, Equatable, Hashable, Sendable {
    /// The runtime-spec version the state complies with.
    public var ociVersion: String
    /// The container id, unique on this host.
    public var id: String
    public var status: Status
    /// Host pid of the container process; present while `created` or `running`.
    public var pid: Int?
    /// Absolute path of the bundle directory.
    public var bundle: String
    /// The annotations from the container's `config.json`.
    public var annotations: [String: String]?

    public init(
        ociVersion: String = Spec.defaultOCIVersion,
        id: String,
        status: Status,
        pid: Int? = nil,
        bundle: String,
        annotations: [String: String]? = nil
    ) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    /// The lifecycle stage of a container.
    public struct Status: Spec.OpenString {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `create` is in progress.
        public static let creating = Status(rawValue: "creating")
        /// Created, the user process has not been started.
        public static let created = Status(rawValue: "created")
        /// The user process is running.
        public static let running = Status(rawValue: "running")
        /// The user process has exited.
        public static let stopped = Status(rawValue: "stopped")

        /// The statuses defined by the spec this build implements.
        public static let known: [Status] = [.creating, .created, .running, .stopped]
    }
}

/// The message a runtime sends to a seccomp notify listener
/// (`linux.seccomp.listenerPath`), alongside the listener file descriptors.
public struct ContainerProcessState: Codable, Equatable, Hashable, Sendable {
    /// The name of the seccomp notify fd in `fds`.
    public static let seccompFdName = "seccompFd"

    public var ociVersion: String
    /// Names of the file descriptors passed with the message, in order.
    public var fds: [String]
    /// Host pid of the process the filter was installed in.
    public var pid: Int
    /// `linux.seccomp.listenerMetadata`.
    public var metadata: String?
    public var state: ContainerState

    public init(
        ociVersion: String = Spec.defaultOCIVersion,
        fds: [String],
        pid: Int,
        metadata: String? = nil,
        state: ContainerState
    ) {
        self.ociVersion = ociVersion
        self.fds = fds
        self.pid = pid
        self.metadata = metadata
        self.state = state
    }
}
