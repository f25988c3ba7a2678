import BerthErrors
import BerthSeccomp
import Logging
import Synchronization
import Testing

@Suite struct SeccompTests {
    @Test func libraryFacts() {
        #expect(Seccomp.apiLevel >= 1)
        let parts = Seccomp.libraryVersion.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }

    @Test func nativeArchitectureIsASpecName() throws {
        let native = try #require(Seccomp.nativeArchitecture)
        #expect(native.hasPrefix("SCMP_ARCH_"))
        #expect(Seccomp.hostArchitectures.first == native)
        #if arch(x86_64)
            #expect(native == "SCMP_ARCH_X86_64")
            #expect(Seccomp.hostArchitectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #elseif arch(arm64)
            #expect(native == "SCMP_ARCH_AARCH64")
            #expect(Seccomp.hostArchitectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #endif
        for arch in Seccomp.hostArchitectures {
            #expect(throws: Never.self) { try Seccomp.validate(architecture: arch) }
        }
    }

    @Test(arguments: ["read", "openat", "clone3", "exit_group"])
    func commonSyscallsResolve(_ name: String) throws {
        let number = try #require(Seccomp.resolve(syscall: name))
        #expect(number >= 0)
    }

    @Test func unknownSyscallsArePartitionedAndFiltered() {
        #expect(Seccomp.resolve(syscall: "not_a_syscall") == nil)
        #if arch(x86_64)
            #expect(Seccomp.resolve(syscall: "read") == 0)
        #endif
        let parts = Seccomp.partition(syscallNames: ["read", "not_a_syscall", "openat"])
        #expect(parts.known == ["read", "openat"])
        #expect(parts.unknown == ["not_a_syscall"])

        let recorder = RecordingLogHandler()
        let logger = Logger(label: "test") { _ in recorder }
        #expect(Seccomp.filterKnown(["read", "not_a_syscall", "clone3"], logger: logger) == ["read", "clone3"])
        let records = recorder.records.withLock { $0 }
        #expect(records.count == 1)
        #expect(records.first?.level == .warning)
        #expect(records.first?.syscall == "not_a_syscall")
    }

    @Test func actionsValidate() {
        for action in Seccomp.actions {
            #expect(throws: Never.self) { try Seccomp.validate(action: action) }
        }
        #expect(Seccomp.actions.count == 9)
        #expect(throws: SeccompError(.invalidArgument, "unknown seccomp action \"SCMP_ACT_NOPE\"")) {
            try Seccomp.validate(action: "SCMP_ACT_NOPE")
        }
        #expect(throws: SeccompError.self) { try Seccomp.validate(action: "scmp_act_allow") }
    }

    @Test func supportedActionsFollowTheAPILevel() {
        let supported = Seccomp.supportedActions
        #expect(supported.contains("SCMP_ACT_ALLOW"))
        #expect(supported.contains("SCMP_ACT_ERRNO"))
        #expect(supported.contains("SCMP_ACT_LOG") == (Seccomp.apiLevel >= 3))
        #expect(supported.contains("SCMP_ACT_KILL_PROCESS") == (Seccomp.apiLevel >= 3))
        #expect(supported.contains("SCMP_ACT_NOTIFY") == (Seccomp.apiLevel >= 5))
        #expect(Set(supported).isSubset(of: Set(Seccomp.actions)))
        #expect(Seccomp.isSupported(action: "SCMP_ACT_ALLOW"))
    }

    @Test func operatorsValidate() {
        for op in [
            "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
            "SCMP_CMP_MASKED_EQ",
        ] {
            #expect(throws: Never.self) { try Seccomp.validate(operator: op) }
        }
        #expect(throws: SeccompError(.invalidArgument, "unknown seccomp operator \"SCMP_CMP_XOR\"")) {
            try Seccomp.validate(operator: "SCMP_CMP_XOR")
        }
    }

    @Test func architecturesValidate() {
        for arch in [
            "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
            "SCMP_ARCH_S390X", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
        ] {
            #expect(throws: Never.self) { try Seccomp.validate(architecture: arch) }
        }
        #expect(Seccomp.libseccompName(forArchitecture: "SCMP_ARCH_X86_64") == "x86_64")
        #expect(Seccomp.libseccompName(forArchitecture: "SCMP_ARCH_AARCH64") == "aarch64")
        for garbage in ["SCMP_ARCH_VAX", "x86_64", "SCMP_ARCH_", ""] {
            #expect(throws: SeccompError.self) { try Seccomp.validate(architecture: garbage) }
        }
    }
}

/// Captures log records so tests can see what was logged.
final class RecordingLogHandler: LogHandler, Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var syscall: String?
    }

    let records = Mutex<[Record]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let syscall = event.metadata?["syscall"].map { "\($0)" }
        records.withLock { $0.append(Record(level: event.level, message: "\(event.message)", syscall: syscall)) }
    }
}
