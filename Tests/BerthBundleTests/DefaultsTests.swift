import BerthErrors
import BerthBundle
import BerthOCI
import Foundation
import Testing

@Suite("runtime-spec/defaults")
struct DefaultsTests {
    @Test("the embedded copy equals the files in runtime-spec/defaults")
    func embeddedMatchesFiles() throws {
        let directory = Fixtures.runtimeSpecDirectory + "/defaults"
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        #expect(Set(onDisk) == Set(SpecDefaults.fileNames), "run hack/embed-defaults.sh")
        for name in SpecDefaults.fileNames {
            var text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            if text.hasSuffix("\n") { text.removeLast() }
            #expect(SpecDefaults.embeddedFile(name) == text, "\(name) differs: run hack/embed-defaults.sh")
        }
    }

    @Test("the defaults decode from the files on disk the same as from the embedded copy")
    func decodeFromDisk() throws {
        let directory = Fixtures.runtimeSpecDirectory + "/defaults"
        var files: [String: String] = [:]
        for name in SpecDefaults.fileNames {
            files[name] = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        }
        #expect(try SpecDefaults(files: files) == SpecDefaults.embedded())
    }

    @Test("a missing or broken data file is an internal error")
    func brokenFiles() throws {
        var files: [String: String] = [:]
        for name in SpecDefaults.fileNames { files[name] = SpecDefaults.embeddedFile(name) }
        files["mounts.json"] = nil
        #expect(throws: BundleError.self) { try SpecDefaults(files: files) }
        files["mounts.json"] = "{"
        let error = #expect(throws: BundleError.self) { try SpecDefaults(files: files) }
        #expect(error?.code == .internal)
    }

    @Test("the default capability set is containerd's and Docker's")
    func capabilities() throws {
        let expected = [
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
            "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
            "CAP_AUDIT_WRITE",
        ]
        let spec = try Fixtures.defaults.spec()
        #expect(spec.process?.capabilities?.bounding == expected)
        #expect(spec.process?.capabilities?.effective == expected)
        #expect(spec.process?.capabilities?.permitted == expected)
        #expect(spec.process?.capabilities?.inheritable == nil)
        #expect(spec.process?.capabilities?.ambient == nil)
    }

    @Test("the default mounts: /proc, tmpfs /dev, devpts, shm, mqueue, read-only sysfs and cgroup")
    func mounts() throws {
        let spec = try Fixtures.defaults.spec()
        #expect(
            spec.mountDestinations == [
                "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
            ])
        #expect(spec.mount(at: "/proc")?.type == "proc")
        #expect(spec.mount(at: "/dev")?.options == ["nosuid", "strictatime", "mode=755", "size=65536k"])
        #expect(
            spec.mount(at: "/dev/pts")?.options
                == ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]
        )
        #expect(spec.mount(at: "/dev/shm")?.options == ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"])
        #expect(spec.mount(at: "/dev/mqueue")?.type == "mqueue")
        #expect(spec.mount(at: "/sys")?.type == "sysfs")
        #expect(spec.mount(at: "/sys")?.options?.contains("ro") == true)
        #expect(spec.mount(at: "/sys/fs/cgroup")?.type == "cgroup")
        #expect(spec.mount(at: "/sys/fs/cgroup")?.options?.contains("ro") == true)
    }

    @Test("namespaces, rlimits, paths, devices and environment")
    func linux() throws {
        let spec = try Fixtures.defaults.spec()
        #expect(spec.namespaceTypes == ["pid", "ipc", "uts", "mount", "network"])
        #expect(spec.process?.rlimits == [Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        #expect(spec.linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(spec.linux?.maskedPaths?.contains("/sys/firmware") == true)
        #expect(spec.linux?.readonlyPaths?.contains("/proc/sys") == true)
        #expect(spec.process?.user == Spec.User(uid: 0, gid: 0))
        #expect(spec.process?.cwd == "/")
        #expect(spec.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        let rules = try #require(spec.linux?.resources?.devices)
        #expect(rules.first == Spec.Linux.Resources.DeviceRule(allow: false, access: "rwm"))
        let allowed = rules.dropFirst().map { "\($0.type ?? "a") \($0.major ?? -1):\($0.minor ?? -1)" }
        #expect(allowed == ["c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0", "c 5:1", "c 5:2", "c 136:-1"])
        #expect(rules.dropFirst().allSatisfy { $0.allow && $0.access == "rwm" })
    }

    @Test("the default seccomp profile: EPERM by default, a large allow list, conditional rules")
    func seccompProfile() throws {
        let profile = try Fixtures.defaults.seccomp
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 1)
        let rules = profile.syscalls ?? []
        let allowAll = try #require(rules.first)
        #expect(allowAll.includes == nil && allowAll.excludes == nil && allowAll.args == nil)
        let names = Set(allowAll.allNames)
        #expect(names.count > 300)
        for name in ["read", "write", "openat", "execve", "futex"] {
            #expect(names.contains(name), "\(name) must be allowed")
        }
        for name in [
            "mount", "unshare", "setns", "kexec_load", "open_by_handle_at", "bpf", "ptrace", "socket", "clone",
        ] {
            #expect(!names.contains(name), "\(name) must not be allowed unconditionally")
        }
        let sysAdmin = rules.first { $0.includes?.caps == ["CAP_SYS_ADMIN"] }
        #expect(sysAdmin?.allNames.contains("mount") == true)
    }
}
