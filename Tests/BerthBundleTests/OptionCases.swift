import BerthBundle
import BerthOCI
import Testing

/// One option (or combination) and what it must do to the spec. The same
/// table drives the behaviour tests and the schema validation test.
struct OptionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var image: ImageConfig = Fixtures.busybox
    var configure: @Sendable (inout SpecOptions) throws -> Void
    var check: @Sendable (Spec) throws -> Void

    var testDescription: String { name }

    func generate() throws -> Spec {
        try Fixtures.generate(image: image, configure)
    }
}

enum OptionCases {
    static let defaultCaps = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    static let single: [OptionCase] = process + identity + filesystem + security + resources + namespaces

    static let process: [OptionCase] = [
        OptionCase(name: "no options") { _ in
        } check: { spec in
            #expect(spec.process?.args == ["sh"])
            #expect(spec.process?.user == Spec.User(uid: 0, gid: 0, additionalGids: [0, 10]))
            #expect(spec.hostname == "0123456789ab")
            #expect(spec.linux?.cgroupsPath == "/berth/0123456789abcdef0123")
            #expect(spec.linux?.seccomp?.defaultAction == .errno)
            #expect(spec.bounding == defaultCaps)
        },
        OptionCase(name: "command replaces Cmd") {
            $0.command = ["echo", "hi"]
        } check: { spec in
            #expect(spec.process?.args == ["echo", "hi"])
        },
        OptionCase(name: "entrypoint replaces Entrypoint and drops Cmd") {
            $0.entrypoint = ["/bin/env"]
        } check: {
            #expect($0.process?.args == ["/bin/env"])
        },
        OptionCase(name: "entrypoint and command") {
            $0.entrypoint = ["/bin/busybox"]
            $0.command = ["echo", "x"]
        } check: {
            #expect($0.process?.args == ["/bin/busybox", "echo", "x"])
        },
        OptionCase(name: "env adds, overrides and removes") {
            $0.env = ["FOO=bar", "PATH=/opt/bin", "HOSTNAME"]
        } check: { spec in
            #expect(spec.env == ["PATH=/opt/bin", "FOO=bar"])
        },
        OptionCase(name: "workdir") {
            $0.workdir = "/srv/app"
        } check: {
            #expect($0.process?.cwd == "/srv/app")
        },
        OptionCase(name: "tty") {
            $0.tty = true
        } check: { spec in
            #expect(spec.process?.terminal == true)
            #expect(spec.env.contains("TERM=xterm"))
        },
        OptionCase(name: "stdin has no config.json field") {
            $0.stdin = true
        } check: { spec in
            #expect(spec.process?.terminal == nil)
        },
        OptionCase(name: "user by name") {
            $0.user = "berth"
        } check: {
            #expect($0.process?.user == Spec.User(uid: 1000, gid: 1000, additionalGids: [1000, 50, 44]))
        },
        OptionCase(name: "user uid:gid") {
            $0.user = "1000:50"
        } check: {
            #expect($0.process?.user == Spec.User(uid: 1000, gid: 50, additionalGids: [50]))
        },
        OptionCase(name: "oom score") {
            $0.oomScoreAdj = -500
        } check: {
            #expect($0.process?.oomScoreAdj == -500)
        },
        OptionCase(name: "rlimits replace the default of the same type") {
            $0.rlimits = [
                Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 4096, soft: 2048),
                Spec.POSIXRlimit(type: "RLIMIT_NPROC", hard: 100, soft: 100),
            ]
        } check: { spec in
            #expect(
                spec.process?.rlimits == [
                    Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 4096, soft: 2048),
                    Spec.POSIXRlimit(type: "RLIMIT_NPROC", hard: 100, soft: 100),
                ]
            )
        },
    ]

    static let identity: [OptionCase] = [
        OptionCase(name: "hostname") {
            $0.hostname = "web-1"
        } check: { spec in
            #expect(spec.hostname == "web-1")
            #expect(spec.env.contains("HOSTNAME=web-1"))
        },
        OptionCase(name: "annotations win over labels") {
            $0.annotations = ["org.opencontainers.image.title": "mine", "com.example.x": "1"]
        } check: { spec in
            #expect(spec.annotations?["org.opencontainers.image.title"] == "mine")
            #expect(spec.annotations?["com.example.x"] == "1")
        },
    ]

    static let filesystem: [OptionCase] = [
        OptionCase(name: "read-only rootfs") {
            $0.readOnlyRootfs = true
        } check: {
            #expect($0.root?.readonly == true)
        },
        OptionCase(name: "bind mount") {
            $0.mounts = [MountRequest(kind: .bind(source: "/srv/data"), destination: "/data", readOnly: true)]
        } check: { spec in
            #expect(
                spec.mount(at: "/data")
                    == Spec.Mount(
                        destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rprivate", "ro"])
            )
        },
        OptionCase(name: "non-recursive shared bind") {
            $0.mounts = [
                MountRequest(kind: .bind(source: "/mnt"), destination: "/mnt", propagation: .rshared, recursive: false)
            ]
        } check: {
            #expect($0.mount(at: "/mnt")?.options == ["bind", "rshared"])
        },
        OptionCase(name: "named and anonymous volumes") {
            $0.mounts = [
                MountRequest(kind: .volume(name: "cache"), destination: "/cache"),
                MountRequest(kind: .volume(name: nil), destination: "/scratch"),
            ]
            $0.volumesRoot = "/vol"
        } check: { spec in
            #expect(spec.mount(at: "/cache")?.source == "/vol/cache/_data")
            #expect(spec.mount(at: "/scratch")?.source == "/vol/0123456789abcdef0123-vol1/_data")
        },
        OptionCase(name: "tmpfs") {
            $0.mounts = [MountRequest(kind: .tmpfs, destination: "/run", tmpfsOptions: ["size=64m", "exec"])]
        } check: { spec in
            #expect(spec.mount(at: "/run")?.type == "tmpfs")
            #expect(spec.mount(at: "/run")?.options == ["nosuid", "nodev", "size=64m", "exec"])
        },
        OptionCase(name: "a user mount replaces the default at the same place") {
            $0.mounts = [MountRequest(kind: .tmpfs, destination: "/dev/shm", tmpfsOptions: ["size=1g"])]
        } check: { spec in
            #expect(spec.mountDestinations.filter { $0 == "/dev/shm" }.count == 1)
            #expect(spec.mountDestinations[3] == "/dev/shm")
            #expect(spec.mount(at: "/dev/shm")?.options?.contains("size=1g") == true)
        },
        OptionCase(name: "an image volume is mounted before a user mount inside it", image: imageWithVolume) {
            $0.mounts = [MountRequest(kind: .tmpfs, destination: "/var/lib/app")]
        } check: { spec in
            #expect(spec.mountDestinations.suffix(2) == ["/var/lib", "/var/lib/app"])
            #expect(spec.mount(at: "/var/lib")?.type == "bind")
        },
        OptionCase(name: "parents are mounted before children") {
            $0.mounts = [
                MountRequest(kind: .tmpfs, destination: "/a/b/c"),
                MountRequest(kind: .tmpfs, destination: "/a"),
            ]
        } check: { spec in
            let order = spec.mountDestinations.filter { $0.hasPrefix("/a") }
            #expect(order == ["/a", "/a/b/c"])
        },
    ]

    static let imageWithVolume = ImageConfig(
        architecture: "amd64",
        os: "linux",
        config: ImageConfig.Config(cmd: ["sh"], volumes: ["/var/lib"])
    )

    static let security: [OptionCase] = [
        OptionCase(name: "cap-add") {
            $0.capAdd = ["net_admin", "CAP_SYS_TIME"]
        } check: { spec in
            #expect(spec.bounding == defaultCaps + ["CAP_NET_ADMIN", "CAP_SYS_TIME"])
            #expect(spec.process?.capabilities?.effective == spec.bounding)
            #expect(spec.seccompNames.contains("settimeofday"))
        },
        OptionCase(name: "cap-drop") {
            $0.capDrop = ["CHOWN", "NET_RAW"]
        } check: { spec in
            #expect(spec.bounding == defaultCaps.filter { $0 != "CAP_CHOWN" && $0 != "CAP_NET_RAW" })
        },
        OptionCase(name: "cap-drop ALL") {
            $0.capDrop = ["ALL"]
        } check: { spec in
            #expect(spec.bounding.isEmpty)
            #expect(!spec.seccompNames.contains("chroot"))
        },
        OptionCase(name: "cap-drop ALL then cap-add") {
            $0.capDrop = ["ALL"]
            $0.capAdd = ["NET_BIND_SERVICE"]
        } check: {
            #expect($0.bounding == ["CAP_NET_BIND_SERVICE"])
        },
        OptionCase(name: "cap-add ALL") {
            $0.capAdd = ["ALL"]
            $0.capDrop = ["SYS_ADMIN"]
        } check: { spec in
            #expect(spec.bounding == FixedHost.allCapabilities.filter { $0 != "CAP_SYS_ADMIN" })
        },
        OptionCase(name: "cap-add SYS_ADMIN lifts the clone filter") {
            $0.capAdd = ["SYS_ADMIN"]
        } check: { spec in
            let clones = spec.linux?.seccomp?.syscalls?.filter { $0.names.contains("clone") } ?? []
            #expect(clones.count == 1)
            #expect(clones.first?.args == nil)
            #expect(!(spec.linux?.seccomp?.syscalls ?? []).contains { $0.names == ["clone3"] && $0.action == .errno })
        },
        OptionCase(name: "privileged") {
            $0.privileged = true
        } check: { spec in
            #expect(spec.bounding == FixedHost.allCapabilities)
            #expect(spec.linux?.seccomp == nil)
            #expect(spec.linux?.maskedPaths == nil)
            #expect(spec.linux?.readonlyPaths == nil)
            #expect(spec.linux?.resources?.devices == [Spec.Linux.Resources.DeviceRule(allow: true, access: "rwm")])
            #expect(spec.linux?.devices?.map(\.path) == ["/dev/fuse", "/dev/loop0"])
            #expect(spec.mount(at: "/sys")?.options?.contains("ro") == false)
            #expect(spec.mount(at: "/sys/fs/cgroup")?.options?.contains("ro") == false)
        },
        OptionCase(name: "privileged ignores cap-drop, as Docker") {
            $0.privileged = true
            $0.capDrop = ["ALL"]
        } check: {
            #expect($0.bounding == FixedHost.allCapabilities)
        },
        OptionCase(name: "privileged with an explicit default seccomp profile") {
            $0.privileged = true
            $0.seccomp = .default
        } check: { spec in
            #expect(spec.linux?.seccomp != nil)
            #expect(spec.seccompNames.contains("mount"))
        },
        OptionCase(name: "seccomp unconfined") {
            $0.seccomp = .unconfined
        } check: {
            #expect($0.linux?.seccomp == nil)
        },
        OptionCase(name: "seccomp profile") {
            $0.seccomp = .profile(
                SeccompProfile(
                    defaultAction: "SCMP_ACT_ALLOW",
                    architectures: ["SCMP_ARCH_X86_64"],
                    syscalls: [SeccompProfile.Rule(names: ["reboot"], action: "SCMP_ACT_ERRNO", errnoRet: 1)]
                )
            )
        } check: { spec in
            #expect(spec.linux?.seccomp?.defaultAction == .allow)
            #expect(spec.linux?.seccomp?.architectures == [.x86_64])
            #expect(spec.linux?.seccomp?.syscalls == [.init(names: ["reboot"], action: .errno, errnoRet: 1)])
        },
        OptionCase(name: "no-new-privileges") {
            $0.noNewPrivileges = true
        } check: {
            #expect($0.process?.noNewPrivileges == true)
        },
    ]

    static let resources: [OptionCase] = [
        OptionCase(name: "memory, swap defaults to twice") {
            $0.memory = 512 << 20
        } check: { spec in
            #expect(spec.linux?.resources?.memory?.limit == 512 << 20)
            #expect(spec.linux?.resources?.memory?.swap == 1024 << 20)
        },
        OptionCase(name: "memory with unlimited swap and a reservation") {
            $0.memory = 512 << 20
            $0.memorySwap = -1
            $0.memoryReservation = 256 << 20
        } check: { spec in
            #expect(spec.linux?.resources?.memory == .init(limit: 512 << 20, reservation: 256 << 20, swap: -1))
        },
        OptionCase(name: "cpus") {
            $0.nanoCPUs = 1_500_000_000
        } check: { spec in
            #expect(spec.linux?.resources?.cpu?.quota == 150_000)
            #expect(spec.linux?.resources?.cpu?.period == 100_000)
        },
        OptionCase(name: "cpu period, quota, shares and cpuset") {
            $0.cpuPeriod = 50_000
            $0.cpuQuota = 25_000
            $0.cpuShares = 512
            $0.cpusetCpus = "0-1"
            $0.cpusetMems = "0"
        } check: { spec in
            #expect(
                spec.linux?.resources?.cpu == .init(shares: 512, quota: 25_000, period: 50_000, cpus: "0-1", mems: "0")
            )
        },
        OptionCase(name: "pids limit") {
            $0.pidsLimit = 64
        } check: {
            #expect($0.linux?.resources?.pids?.limit == 64)
        },
        OptionCase(name: "pids limit 0 is unlimited") {
            $0.pidsLimit = 0
        } check: {
            #expect($0.linux?.resources?.pids?.limit == -1)
        },
        OptionCase(name: "device") {
            $0.devices = [DeviceRequest(hostPath: "/dev/fuse", containerPath: "/dev/fuse0", permissions: "rw")]
        } check: { spec in
            #expect(spec.linux?.devices?.first?.path == "/dev/fuse0")
            #expect(spec.linux?.devices?.first?.major == 10)
            #expect(
                spec.linux?.resources?.devices?.last
                    == .init(allow: true, type: "c", major: 10, minor: 229, access: "rw")
            )
        },
        OptionCase(name: "sysctls") {
            $0.sysctls = ["net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20"]
        } check: { spec in
            #expect(spec.linux?.sysctl?["net.ipv4.ip_forward"] == "1")
            #expect(spec.linux?.sysctl?.count == 3)
        },
        OptionCase(name: "cgroup parent") {
            $0.cgroupParent = "/tenants/a/"
        } check: {
            #expect($0.linux?.cgroupsPath == "/tenants/a/0123456789abcdef0123")
        },
        OptionCase(name: "cgroups path") {
            $0.cgroupsPath = "/exact/path"
        } check: {
            #expect($0.linux?.cgroupsPath == "/exact/path")
        },
        OptionCase(name: "hooks") {
            $0.hooks = Spec.Hooks(
                createRuntime: [Spec.Hook(path: "/usr/bin/true", args: ["true"])],
                poststop: [Spec.Hook(path: "/usr/bin/logger", timeout: 5)]
            )
        } check: { spec in
            #expect(spec.hooks?.createRuntime?.first?.path == "/usr/bin/true")
            #expect(spec.hooks?.poststop?.first?.timeout == 5)
        },
    ]

    static let namespaces: [OptionCase] = [
        OptionCase(name: "host network") {
            $0.network = .host
        } check: { spec in
            #expect(!spec.namespaceTypes.contains("network"))
            #expect(spec.hostname == "fixed-host")
        },
        OptionCase(name: "host pid") {
            $0.pid = .host
        } check: {
            #expect(!$0.namespaceTypes.contains("pid"))
        },
        OptionCase(name: "host ipc shares /dev/shm") {
            $0.ipc = .host
        } check: { spec in
            #expect(!spec.namespaceTypes.contains("ipc"))
            #expect(spec.mount(at: "/dev/shm")?.type == "bind")
            #expect(spec.mount(at: "/dev/shm")?.source == "/dev/shm")
        },
        OptionCase(name: "host uts") {
            $0.uts = .host
        } check: { spec in
            #expect(!spec.namespaceTypes.contains("uts"))
            #expect(spec.hostname == nil)
            #expect(spec.env.contains("HOSTNAME=fixed-host"))
        },
        OptionCase(name: "join a network namespace by path") {
            $0.network = .path("/proc/1/ns/net")
        } check: { spec in
            #expect(spec.linux?.namespaces?.first { $0.type == .network }?.path == "/proc/1/ns/net")
        },
        OptionCase(name: "user namespace") {
            $0.uidMappings = [.init(containerID: 0, hostID: 100_000, size: 65536)]
        } check: { spec in
            #expect(spec.namespaceTypes == ["pid", "ipc", "uts", "mount", "network", "user"])
            #expect(spec.linux?.uidMappings == [.init(containerID: 0, hostID: 100_000, size: 65536)])
            #expect(spec.linux?.gidMappings == spec.linux?.uidMappings)
        },
    ]

    static let combinations: [OptionCase] = [
        OptionCase(name: "a locked-down web server") {
            $0.user = "berth:staff"
            $0.readOnlyRootfs = true
            $0.capDrop = ["ALL"]
            $0.capAdd = ["NET_BIND_SERVICE"]
            $0.noNewPrivileges = true
            $0.mounts = [MountRequest(kind: .tmpfs, destination: "/tmp")]
            $0.memory = 64 << 20
            $0.pidsLimit = 50
            $0.rlimits = [Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 512, soft: 512)]
            $0.env = ["PORT=80"]
            $0.hostname = "web"
        } check: { spec in
            #expect(spec.process?.user == Spec.User(uid: 1000, gid: 50, additionalGids: [50]))
            #expect(spec.root?.readonly == true)
            #expect(spec.bounding == ["CAP_NET_BIND_SERVICE"])
            #expect(spec.process?.noNewPrivileges == true)
            #expect(spec.linux?.resources?.pids?.limit == 50)
            #expect(
                spec.env == [
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web", "PORT=80",
                ])
        },
        OptionCase(name: "privileged on the host network with a tty") {
            $0.privileged = true
            $0.network = .host
            $0.pid = .host
            $0.tty = true
            $0.command = ["sh", "-l"]
        } check: { spec in
            #expect(spec.namespaceTypes == ["ipc", "uts", "mount"])
            #expect(spec.hostname == "fixed-host")
            #expect(spec.process?.terminal == true)
            #expect(spec.process?.args == ["sh", "-l"])
            #expect(spec.linux?.seccomp == nil)
        },
        OptionCase(name: "user namespace with resources and a custom cgroup") {
            $0.uidMappings = [.init(containerID: 0, hostID: 200_000, size: 1000)]
            $0.gidMappings = [.init(containerID: 0, hostID: 300_000, size: 1000)]
            $0.nanoCPUs = 250_000_000
            $0.cpuShares = 256
            $0.cgroupsPath = "/custom/c1"
            $0.oomScoreAdj = 1000
            $0.sysctls = ["net.core.somaxconn": "1024"]
            $0.user = "1000"
        } check: { spec in
            #expect(spec.linux?.gidMappings?.first?.hostID == 300_000)
            #expect(spec.linux?.resources?.cpu?.quota == 25_000)
            #expect(spec.linux?.cgroupsPath == "/custom/c1")
            #expect(spec.process?.user == Spec.User(uid: 1000, gid: 1000, additionalGids: [1000, 50, 44]))
        },
        OptionCase(name: "entrypoint, workdir, env and volumes together") {
            $0.entrypoint = ["/bin/sh", "-c"]
            $0.command = ["exec env"]
            $0.workdir = "/work"
            $0.env = ["A=1", "B=2"]
            $0.mounts = [
                MountRequest(kind: .bind(source: "/src"), destination: "/work"),
                MountRequest(kind: .volume(name: "deps"), destination: "/work/deps"),
            ]
            $0.annotations = ["owner": "ci"]
        } check: { spec in
            #expect(spec.process?.args == ["/bin/sh", "-c", "exec env"])
            #expect(spec.process?.cwd == "/work")
            #expect(spec.mountDestinations.suffix(2) == ["/work", "/work/deps"])
            #expect(spec.annotations?["owner"] == "ci")
        },
    ]
}

@Suite("every option, alone and combined")
struct OptionTests {
    @Test(arguments: OptionCases.single)
    func single(_ option: OptionCase) throws {
        try option.check(try option.generate())
    }

    @Test(arguments: OptionCases.combinations)
    func combined(_ option: OptionCase) throws {
        try option.check(try option.generate())
    }
}
