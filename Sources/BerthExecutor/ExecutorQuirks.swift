import BerthSystem

/// How an executor must be started on this host, beyond its argv.
///
/// Each quirk adapter is a documented rule that turns host facts into spawn
/// options:
///
/// - **crun on hybrid cgroup hosts.** crun 1.8 refuses to run when
///   `/sys/fs/cgroup` is cgroup v1 but `/sys/fs/cgroup/unified` (the v2
///   mount of a hybrid host) has controllers enabled: it then believes it
///   must manage v2 and fails. Run in a private mount namespace with that
///   mount detached, crun sees a plain v1 host and works. The namespace is
///   the executor process's own; the container's cgroups are unaffected.
/// - **runsc networking.** runsc's default `--network=sandbox` needs a
///   network namespace prepared by CNI; with the empty namespace `ctr run`
///   asks for, `start` fails with "cannot run with network enabled in root
///   network namespace". Berth passes `--network=none` (loopback only),
///   which is what such a container has under runc too.
/// - **runsc and created containers.** runsc refuses to signal a container
///   that was created but not started ("cannot signal container … in state
///   created"); a SIGKILL for one is carried out with `delete --force`,
///   which is what runc's kill does in that state.
/// - runc needs nothing.
public struct ExecutorQuirks: Sendable, Equatable {
    /// Run the executor in a private mount namespace.
    public var privateMountNamespace = false
    /// With ``privateMountNamespace``: the mount point to detach first.
    public var detachUnmount: String?
    /// Global arguments the dialect needs on this host.
    public var extraGlobalArguments: [String] = []
    /// SIGKILL of a created (not started) container is done with `delete --force`.
    public var killCreatedByDeleting = false

    public init(
        privateMountNamespace: Bool = false, detachUnmount: String? = nil, extraGlobalArguments: [String] = [],
        killCreatedByDeleting: Bool = false
    ) {
        self.privateMountNamespace = privateMountNamespace
        self.detachUnmount = detachUnmount
        self.extraGlobalArguments = extraGlobalArguments
        self.killCreatedByDeleting = killCreatedByDeleting
    }

    /// The host facts the adapters look at.
    public struct Host: Sendable, Equatable {
        /// `/sys/fs/cgroup` is a v1 (tmpfs) hierarchy and
        /// `/sys/fs/cgroup/unified` is a cgroup2 mount with controllers.
        public var hybridUnifiedHasControllers: Bool

        public init(hybridUnifiedHasControllers: Bool) {
            self.hybridUnifiedHasControllers = hybridUnifiedHasControllers
        }

        /// Reads the facts from this host.
        public static func probe() -> Host {
            let unified = "/sys/fs/cgroup/unified"
            let isHybrid =
                (try? FileSystemType.of("/sys/fs/cgroup")) == .tmpfs
                && (try? FileSystemType.of(unified)) == .cgroup2
            let controllers = FileSystem.readText(unified + "/cgroup.controllers", limit: 4096) ?? ""
            return Host(
                hybridUnifiedHasControllers: isHybrid && !controllers.split(whereSeparator: \.isWhitespace).isEmpty)
        }
    }

    /// The quirks `dialect` needs on `host`.
    public static func forDialect(_ dialect: ExecutorDialect, on host: Host) -> ExecutorQuirks {
        switch dialect {
        case .crun where host.hybridUnifiedHasControllers:
            ExecutorQuirks(privateMountNamespace: true, detachUnmount: "/sys/fs/cgroup/unified")
        case .runsc:
            ExecutorQuirks(extraGlobalArguments: ["--network=none"], killCreatedByDeleting: true)
        case .runc, .crun:
            ExecutorQuirks()
        }
    }
}
