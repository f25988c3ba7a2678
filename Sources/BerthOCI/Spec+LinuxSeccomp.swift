extension Spec.Linux {
    /// A seccomp filter for the container process.
    public struct Seccomp: Codable, Equatable, Hashable, Sendable {
        /// Action for system calls no rule matches.
        public var defaultAction: Action
        /// errno returned by `defaultAction` when it is `.errno`/`.trace`
        /// (default `EPERM`).
        public var defaultErrnoRet: UInt?
        /// Architectures the filter accepts besides the native one.
        public var architectures: [Arch]?
        /// Flags passed to `seccomp(SECCOMP_SET_MODE_FILTER, ...)`.
        public var flags: [Flag]?
        /// UNIX socket the runtime sends the notify fd to (with `.notify` rules).
        public var listenerPath: String?
        /// Opaque data passed to the listener along with the fd.
        public var listenerMetadata: String?
        public var syscalls: [Syscall]?

        public init(
            defaultAction: Action,
            defaultErrnoRet: UInt? = nil,
            architectures: [Arch]? = nil,
            flags: [Flag]? = nil,
            listenerPath: String? = nil,
            listenerMetadata: String? = nil,
            syscalls: [Syscall]? = nil
        ) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.flags = flags
            self.listenerPath = listenerPath
            self.listenerMetadata = listenerMetadata
            self.syscalls = syscalls
        }

        /// A rule: the system calls it matches and the action taken.
        public struct Syscall: Codable, Equatable, Hashable, Sendable {
            /// System call names; at least one.
            public var names: [String]
            public var action: Action
            /// errno for `.errno`/`.trace` actions.
            public var errnoRet: UInt?
            /// Argument conditions; all must match.
            public var args: [Arg]?

            public init(names: [String], action: Action, errnoRet: UInt? = nil, args: [Arg]? = nil) {
                self.names = names
                self.action = action
                self.errnoRet = errnoRet
                self.args = args
            }
        }

        /// A condition on one system call argument.
        public struct Arg: Codable, Equatable, Hashable, Sendable {
            /// Argument position, 0...5.
            public var index: UInt
            public var value: UInt64
            /// Second operand; the expected value for `.maskedEqual`
            /// (where `value` is the mask).
            public var valueTwo: UInt64?
            public var op: Operator

            public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: Operator) {
                self.index = index
                self.value = value
                self.valueTwo = valueTwo
                self.op = op
            }
        }

        /// What the filter does when a rule matches (`SCMP_ACT_*`).
        public struct Action: Spec.OpenString {
            public var rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }

            public static let kill = Action(rawValue: "SCMP_ACT_KILL")
            public static let killProcess = Action(rawValue: "SCMP_ACT_KILL_PROCESS")
            public static let killThread = Action(rawValue: "SCMP_ACT_KILL_THREAD")
            public static let trap = Action(rawValue: "SCMP_ACT_TRAP")
            public static let errno = Action(rawValue: "SCMP_ACT_ERRNO")
            public static let trace = Action(rawValue: "SCMP_ACT_TRACE")
            public static let allow = Action(rawValue: "SCMP_ACT_ALLOW")
            public static let log = Action(rawValue: "SCMP_ACT_LOG")
            public static let notify = Action(rawValue: "SCMP_ACT_NOTIFY")

            /// The actions defined by the spec this build implements.
            public static let known: [Action] = [
                .kill, .killProcess, .killThread, .trap, .errno, .trace, .allow, .log, .notify,
            ]
        }

        /// An architecture token (`SCMP_ARCH_*`).
        public struct Arch: Spec.OpenString {
            public var rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }

            public static let x86 = Arch(rawValue: "SCMP_ARCH_X86")
            public static let x86_64 = Arch(rawValue: "SCMP_ARCH_X86_64")
            public static let x32 = Arch(rawValue: "SCMP_ARCH_X32")
            public static let arm = Arch(rawValue: "SCMP_ARCH_ARM")
            public static let aarch64 = Arch(rawValue: "SCMP_ARCH_AARCH64")
            public static let mips = Arch(rawValue: "SCMP_ARCH_MIPS")
            public static let mips64 = Arch(rawValue: "SCMP_ARCH_MIPS64")
            public static let mips64n32 = Arch(rawValue: "SCMP_ARCH_MIPS64N32")
            public static let mipsel = Arch(rawValue: "SCMP_ARCH_MIPSEL")
            public static let mipsel64 = Arch(rawValue: "SCMP_ARCH_MIPSEL64")
            public static let mipsel64n32 = Arch(rawValue: "SCMP_ARCH_MIPSEL64N32")
            public static let ppc = Arch(rawValue: "SCMP_ARCH_PPC")
            public static let ppc64 = Arch(rawValue: "SCMP_ARCH_PPC64")
            public static let ppc64le = Arch(rawValue: "SCMP_ARCH_PPC64LE")
            public static let s390 = Arch(rawValue: "SCMP_ARCH_S390")
            public static let s390x = Arch(rawValue: "SCMP_ARCH_S390X")
            public static let parisc = Arch(rawValue: "SCMP_ARCH_PARISC")
            public static let parisc64 = Arch(rawValue: "SCMP_ARCH_PARISC64")
            public static let riscv64 = Arch(rawValue: "SCMP_ARCH_RISCV64")

            /// The architectures defined by the spec this build implements.
            public static let known: [Arch] = [
                .x86, .x86_64, .x32, .arm, .aarch64, .mips, .mips64, .mips64n32, .mipsel, .mipsel64,
                .mipsel64n32, .ppc, .ppc64, .ppc64le, .s390, .s390x, .parisc, .parisc64, .riscv64,
            ]
        }

        /// A filter flag (`SECCOMP_FILTER_FLAG_*`).
        public struct Flag: Spec.OpenString {
            public var rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }

            public static let tsync = Flag(rawValue: "SECCOMP_FILTER_FLAG_TSYNC")
            /// Log every action except allow (Linux 4.14).
            public static let log = Flag(rawValue: "SECCOMP_FILTER_FLAG_LOG")
            /// Disable the speculative store bypass mitigation (Linux 4.17).
            public static let specAllow = Flag(rawValue: "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
            /// Wait killably for notify replies (Linux 5.19).
            public static let waitKillableRecv = Flag(rawValue: "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")

            /// The flags defined by the spec this build implements.
            public static let known: [Flag] = [.tsync, .log, .specAllow, .waitKillableRecv]
        }

        /// An argument comparison (`SCMP_CMP_*`).
        public struct Operator: Spec.OpenString {
            public var rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }

            public static let notEqual = Operator(rawValue: "SCMP_CMP_NE")
            public static let lessThan = Operator(rawValue: "SCMP_CMP_LT")
            public static let lessEqual = Operator(rawValue: "SCMP_CMP_LE")
            public static let equalTo = Operator(rawValue: "SCMP_CMP_EQ")
            public static let greaterEqual = Operator(rawValue: "SCMP_CMP_GE")
            public static let greaterThan = Operator(rawValue: "SCMP_CMP_GT")
            /// `(arg & value) == valueTwo`.
            public static let maskedEqual = Operator(rawValue: "SCMP_CMP_MASKED_EQ")

            /// The operators defined by the spec this build implements.
            public static let known: [Operator] = [
                .notEqual, .lessThan, .lessEqual, .equalTo, .greaterEqual, .greaterThan, .maskedEqual,
            ]
        }
    }
}
