extension Spec {
    /// The process started in the container.
    public struct Process: Codable, Equatable, Hashable, Sendable {
        /// Attach a pseudo-terminal to the process.
        public var terminal: Bool?
        /// Initial console size; only meaningful with `terminal`.
        public var consoleSize: Box?
        /// The identity the process runs as. The schema does not require it;
        /// POSIX runtimes treat a missing user as uid 0, gid 0.
        public var user: User?
        /// The executable and its arguments (`argv`).
        public var args: [String]?
        /// The full command line, used on Windows instead of `args`.
        public var commandLine: String?
        /// Environment in `KEY=value` form.
        public var env: [String]?
        /// Working directory, absolute inside the container.
        public var cwd: String
        public var capabilities: Linux.Capabilities?
        public var rlimits: [POSIXRlimit]?
        /// Set `PR_SET_NO_NEW_PRIVS` before exec.
        public var noNewPrivileges: Bool?
        public var apparmorProfile: String?
        /// Value written to `/proc/self/oom_score_adj`.
        public var oomScoreAdj: Int?
        /// SELinux process label.
        public var selinuxLabel: String?

        /// `cwd` defaults to `/`, the only value every image supports.
        public init(
            terminal: Bool? = nil,
            consoleSize: Box? = nil,
            user: User? = nil,
            args: [String]? = nil,
            commandLine: String? = nil,
            env: [String]? = nil,
            cwd: String = "/",
            capabilities: Linux.Capabilities? = nil,
            rlimits: [POSIXRlimit]? = nil,
            noNewPrivileges: Bool? = nil,
            apparmorProfile: String? = nil,
            oomScoreAdj: Int? = nil,
            selinuxLabel: String? = nil
        ) {
            self.terminal = terminal
            self.consoleSize = consoleSize
            self.user = user
            self.args = args
            self.commandLine = commandLine
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
            self.apparmorProfile = apparmorProfile
            self.oomScoreAdj = oomScoreAdj
            self.selinuxLabel = selinuxLabel
        }
    }

    /// A rectangle in character cells, used for the console size.
    public struct Box: Codable, Equatable, Hashable, Sendable {
        public var height: UInt
        public var width: UInt

        public init(height: UInt, width: UInt) {
            self.height = height
            self.width = width
        }
    }

    /// The user and groups a process runs as.
    ///
    /// `uid`/`gid` are optional because the schema does not require them
    /// (a Windows process only has `username`); POSIX runtimes read a
    /// missing value as 0.
    public struct User: Codable, Equatable, Hashable, Sendable {
        public var uid: UInt32?
        public var gid: UInt32?
        /// The umask of the process; `nil` leaves the runtime's default (0022).
        public var umask: UInt32?
        /// Supplementary group ids.
        public var additionalGids: [UInt32]?
        /// Windows user name.
        public var username: String?

        public init(
            uid: UInt32? = nil,
            gid: UInt32? = nil,
            umask: UInt32? = nil,
            additionalGids: [UInt32]? = nil,
            username: String? = nil
        ) {
            self.uid = uid
            self.gid = gid
            self.umask = umask
            self.additionalGids = additionalGids
            self.username = username
        }
    }

    /// One `setrlimit(2)` applied to the process.
    public struct POSIXRlimit: Codable, Equatable, Hashable, Sendable {
        /// The resource name, e.g. `RLIMIT_NOFILE`.
        public var type: String
        public var hard: UInt64
        public var soft: UInt64

        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }
}

extension Spec.Linux {
    /// Capability sets of the process, by `CAP_*` name.
    public struct Capabilities: Codable, Equatable, Hashable, Sendable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?

        public init(
            bounding: [String]? = nil,
            effective: [String]? = nil,
            inheritable: [String]? = nil,
            permitted: [String]? = nil,
            ambient: [String]? = nil
        ) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }
}
