import Logging
import BerthBundle
import BerthOCI
import Testing

@Suite("seccomp profile resolution")
struct SeccompResolutionTests {
    static func resolve(
        _ profile: SeccompProfile,
        capabilities: [String] = [],
        host: FixedHost = FixedHost()
    ) throws -> Spec.Linux.Seccomp {
        try profile.resolve(capabilities: capabilities, host: host, logger: Fixtures.logger)
    }

    static var defaultProfile: SeccompProfile {
        get throws { try Fixtures.defaults.seccomp }
    }

    @Test("x86_64: native plus compat architectures, arch-specific rules")
    func x86() throws {
        let seccomp = try Self.resolve(try Self.defaultProfile, capabilities: OptionCases.defaultCaps)
        #expect(seccomp.architectures == [.x86_64, .x86, .x32])
        #expect(seccomp.defaultAction == .errno)
        #expect(seccomp.defaultErrnoRet == 1)
        let names = seccomp.syscalls?.flatMap(\.names) ?? []
        #expect(names.contains("arch_prctl"))
        #expect(names.contains("modify_ldt"))
        #expect(!names.contains("s390_runtime_instr"))
        #expect(!names.contains("cacheflush"))
    }

    @Test("aarch64: its own compat list and rules")
    func arm() throws {
        var host = FixedHost()
        host.seccompArchitecture = "SCMP_ARCH_AARCH64"
        let seccomp = try Self.resolve(try Self.defaultProfile, host: host)
        #expect(seccomp.architectures == [.aarch64, .arm])
        let names = seccomp.syscalls?.flatMap(\.names) ?? []
        #expect(names.contains("cacheflush"))
        #expect(!names.contains("arch_prctl"))
    }

    @Test("without CAP_SYS_ADMIN: clone is filtered by namespace flags, clone3 returns ENOSYS")
    func cloneFilter() throws {
        let seccomp = try Self.resolve(try Self.defaultProfile, capabilities: OptionCases.defaultCaps)
        let clone = try #require(seccomp.syscalls?.first { $0.names == ["clone"] })
        #expect(clone.action == .allow)
        #expect(clone.args == [.init(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)])
        let clone3 = try #require(seccomp.syscalls?.first { $0.names == ["clone3"] })
        #expect(clone3.action == .errno)
        #expect(clone3.errnoRet == 38)
        #expect(seccomp.syscalls?.contains { $0.names.contains("mount") } == false)
    }

    @Test("on s390x the clone flags are the second argument")
    func cloneS390() throws {
        var host = FixedHost()
        host.seccompArchitecture = "SCMP_ARCH_S390X"
        let seccomp = try Self.resolve(try Self.defaultProfile, host: host)
        let clones = seccomp.syscalls?.filter { $0.names == ["clone"] } ?? []
        #expect(clones.count == 1)
        #expect(clones.first?.args?.first?.index == 1)
    }

    @Test("personality is allowed only for the listed values; socket not for AF_VSOCK")
    func argumentRules() throws {
        let seccomp = try Self.resolve(try Self.defaultProfile)
        let personality = seccomp.syscalls?.filter { $0.names == ["personality"] } ?? []
        #expect(personality.compactMap { $0.args?.first?.value } == [0, 0x8, 0x20000, 0x20008, 0xFFFF_FFFF])
        #expect(personality.allSatisfy { $0.args?.first?.op == .equalTo })
        let socket = try #require(seccomp.syscalls?.first { $0.names == ["socket"] })
        #expect(socket.args == [.init(index: 0, value: 40, op: .notEqual)])
    }

    @Test("capability-conditional rules follow the bounding set")
    func capabilityRules() throws {
        let seccomp = try Self.resolve(
            try Self.defaultProfile,
            capabilities: ["CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_ADMIN", "CAP_BPF"]
        )
        let names = Set(seccomp.syscalls?.flatMap(\.names) ?? [])
        for name in ["ptrace", "kcmp", "init_module", "mount", "unshare", "bpf", "clone3"] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(!names.contains("chroot"))
        #expect(!names.contains("reboot"))
        #expect(seccomp.syscalls?.contains { $0.names == ["clone3"] && $0.action == .errno } == false)
    }

    @Test("minKernel: ptrace needs 4.8")
    func minKernel() throws {
        var host = FixedHost()
        host.kernelVersion = KernelVersion(major: 4, minor: 4)
        let old = try Self.resolve(try Self.defaultProfile, host: host)
        #expect(old.syscalls?.contains { $0.names.contains("ptrace") } == false)
        let current = try Self.resolve(try Self.defaultProfile)
        #expect(current.syscalls?.contains { $0.names.contains("ptrace") } == true)
    }

    @Test("unknown system call names are dropped with a warning (real libseccomp)")
    func unknownNamesWithLibseccomp() throws {
        let capture = LogCapture()
        let profile = SeccompProfile(
            defaultAction: "SCMP_ACT_ERRNO",
            syscalls: [
                .init(names: ["read", "not_a_syscall_berth"], action: "SCMP_ACT_ALLOW"),
                .init(names: ["also_not_a_syscall"], action: "SCMP_ACT_ALLOW"),
            ]
        )
        let seccomp = try profile.resolve(capabilities: [], host: LiveHost(), logger: capture.logger)
        #expect(seccomp.syscalls == [.init(names: ["read"], action: .allow)])
        let warned = capture.records.filter { $0.level == .warning }.flatMap { $0.metadata.values }
        #expect(warned.contains("not_a_syscall_berth"))
        #expect(warned.contains("also_not_a_syscall"))
    }

    @Test("the default profile resolves on this host with real libseccomp")
    func liveHost() throws {
        let host = LiveHost()
        let seccomp = try (try Self.defaultProfile).resolve(
            capabilities: OptionCases.defaultCaps, host: host, logger: Fixtures.logger)
        #expect((seccomp.syscalls?.first?.names.count ?? 0) > 250)
        if let native = host.seccompArchitecture {
            #expect(seccomp.architectures?.first?.rawValue == native)
        }
    }

    @Test("Docker's spellings: single name, Go architecture names, lower-case caps")
    func dockerSpellings() throws {
        let profile = SeccompProfile(
            defaultAction: "SCMP_ACT_ERRNO",
            syscalls: [
                .init(name: "acct", action: "SCMP_ACT_ALLOW", includes: .init(caps: ["sys_pacct"])),
                .init(names: ["modify_ldt"], action: "SCMP_ACT_ALLOW", includes: .init(arches: ["amd64"])),
                .init(names: ["chroot"], action: "SCMP_ACT_ALLOW", excludes: .init(arches: ["amd64"])),
            ]
        )
        let seccomp = try Self.resolve(profile, capabilities: ["CAP_SYS_PACCT"])
        #expect(seccomp.syscalls?.map(\.names) == [["acct"], ["modify_ldt"]])
        #expect(seccomp.architectures == nil)
    }

    @Test("a profile file decodes (Docker format, with comments)")
    func decoding() throws {
        let json = """
            {"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64",
             "subArchitectures": ["SCMP_ARCH_X86"]}], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
             "comment": "reading is fine", "args": []}]}
            """
        let profile = try SeccompProfile(json: Array(json.utf8))
        let seccomp = try Self.resolve(profile)
        #expect(seccomp.architectures == [.x86_64, .x86])
        #expect(seccomp.syscalls == [.init(names: ["read"], action: .allow)])
        #expect(throws: BundleError.self) { try SeccompProfile(json: Array("{".utf8)) }
    }

    @Test("both name and names in one rule is an error")
    func nameAndNames() throws {
        let profile = SeccompProfile(
            defaultAction: "SCMP_ACT_ERRNO",
            syscalls: [.init(names: ["read"], name: "write", action: "SCMP_ACT_ALLOW")]
        )
        #expect(throws: BundleError.self) { try Self.resolve(profile) }
    }
}
