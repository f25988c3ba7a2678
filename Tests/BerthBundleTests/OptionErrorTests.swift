import BerthErrors
import BerthBundle
import BerthOCI
import Testing

@Suite("invalid options are clear errors")
struct OptionErrorTests {
    struct Invalid: Sendable, CustomTestStringConvertible {
        var name: String
        var image: ImageConfig = Fixtures.busybox
        var configure: @Sendable (inout SpecOptions) -> Void
        /// A fragment the error message must contain.
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Invalid] = [
        Invalid(name: "bad container id", configure: { $0.containerID = "../x" }, message: "invalid container id"),
        Invalid(name: "unknown capability", configure: { $0.capAdd = ["CAP_FLY"] }, message: "CAP_FLY"),
        Invalid(name: "unknown cap-drop", configure: { $0.capDrop = ["NOPE"] }, message: "CAP_NOPE"),
        Invalid(name: "relative workdir", configure: { $0.workdir = "app" }, message: "not an absolute path"),
        Invalid(name: "unknown user", configure: { $0.user = "alice" }, message: "unable to find user \"alice\""),
        Invalid(name: "unknown group", configure: { $0.user = "berth:nogroup2" }, message: "unable to find group"),
        Invalid(name: "bad hostname", configure: { $0.hostname = "a b" }, message: "invalid hostname"),
        Invalid(
            name: "hostname with host uts",
            configure: {
                $0.uts = .host
                $0.hostname = "x"
            }, message: "UTS"),
        Invalid(name: "empty env name", configure: { $0.env = ["=x"] }, message: "name is empty"),
        Invalid(
            name: "relative mount destination",
            configure: {
                $0.mounts = [MountRequest(kind: .tmpfs, destination: "tmp")]
            }, message: "not an absolute path"),
        Invalid(
            name: "duplicate mount point",
            configure: {
                $0.mounts = [
                    MountRequest(kind: .tmpfs, destination: "/x"), MountRequest(kind: .tmpfs, destination: "/x/"),
                ]
            }, message: "duplicate mount point /x"),
        Invalid(
            name: "relative bind source",
            configure: {
                $0.mounts = [MountRequest(kind: .bind(source: "src"), destination: "/x")]
            }, message: "not an absolute path"),
        Invalid(
            name: "bad volume name",
            configure: {
                $0.mounts = [MountRequest(kind: .volume(name: "../etc"), destination: "/x")]
            }, message: "invalid volume name"),
        Invalid(name: "memory too small", configure: { $0.memory = 1024 }, message: "below the minimum"),
        Invalid(
            name: "swap without memory", configure: { $0.memorySwap = 1 << 30 }, message: "--memory-swap needs --memory"
        ),
        Invalid(
            name: "swap below memory",
            configure: {
                $0.memory = 1 << 30
                $0.memorySwap = 1 << 20
            }, message: "must not be below"),
        Invalid(
            name: "cpus with quota",
            configure: {
                $0.nanoCPUs = 1_000_000_000
                $0.cpuQuota = 5000
            }, message: "cannot be combined"),
        Invalid(name: "bad cpuset", configure: { $0.cpusetCpus = "3-1" }, message: "--cpuset-cpus"),
        Invalid(name: "oom score out of range", configure: { $0.oomScoreAdj = 2000 }, message: "out of range"),
        Invalid(
            name: "soft rlimit above hard",
            configure: {
                $0.rlimits = [Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 10, soft: 20)]
            }, message: "above the hard limit"),
        Invalid(
            name: "non-namespaced sysctl", configure: { $0.sysctls = ["kernel.panic": "1"] }, message: "not namespaced"),
        Invalid(
            name: "net sysctl on the host network",
            configure: {
                $0.network = .host
                $0.sysctls = ["net.ipv4.ip_forward": "1"]
            }, message: "--net host"),
        Invalid(
            name: "ipc sysctl with host ipc",
            configure: {
                $0.ipc = .host
                $0.sysctls = ["kernel.shmmax": "1"]
            }, message: "--ipc host"),
        Invalid(
            name: "unknown device", configure: { $0.devices = [DeviceRequest(hostPath: "/dev/nothing")] },
            message: "/dev/nothing"),
        Invalid(
            name: "bad device permissions",
            configure: {
                $0.devices = [DeviceRequest(hostPath: "/dev/fuse", permissions: "x")]
            }, message: "permissions"),
        Invalid(
            name: "gidmap without uidmap",
            configure: {
                $0.gidMappings = [.init(containerID: 0, hostID: 1, size: 1)]
            }, message: "--gidmap needs --uidmap"),
        Invalid(name: "relative namespace path", configure: { $0.network = .path("net") }, message: "not absolute"),
        Invalid(
            name: "relative hook", configure: { $0.hooks = Spec.Hooks(poststart: [Spec.Hook(path: "true")]) },
            message: "hook"),
        Invalid(
            name: "no command", image: ImageConfig(architecture: "amd64", os: "linux"), configure: { _ in },
            message: "no command specified"),
        Invalid(
            name: "a windows image", image: ImageConfig(architecture: "amd64", os: "windows"), configure: { _ in },
            message: "windows"),
        Invalid(
            name: "relative WorkingDir in the image",
            image: ImageConfig(
                architecture: "amd64", os: "linux", config: .init(cmd: ["sh"], workingDir: "rel")), configure: { _ in },
            message: "WorkingDir"),
        Invalid(
            name: "invalid seccomp action",
            configure: {
                $0.seccomp = .profile(SeccompProfile(defaultAction: "SCMP_ACT_EXPLODE"))
            }, message: "SCMP_ACT_EXPLODE"),
        Invalid(
            name: "invalid seccomp operator",
            configure: {
                $0.seccomp = .profile(
                    SeccompProfile(
                        defaultAction: "SCMP_ACT_ERRNO",
                        syscalls: [
                            .init(
                                names: ["read"], action: "SCMP_ACT_ALLOW",
                                args: [.init(index: 0, value: 1, op: "SCMP_CMP_ABOUT")])
                        ]
                    )
                )
            }, message: "SCMP_CMP_ABOUT"),
        Invalid(
            name: "seccomp argument index above 5",
            configure: {
                $0.seccomp = .profile(
                    SeccompProfile(
                        defaultAction: "SCMP_ACT_ERRNO",
                        syscalls: [
                            .init(
                                names: ["read"], action: "SCMP_ACT_ALLOW",
                                args: [.init(index: 6, value: 1, op: "SCMP_CMP_EQ")])
                        ]
                    )
                )
            }, message: "above 5"),
        Invalid(
            name: "invalid seccomp architecture",
            configure: {
                $0.seccomp = .profile(SeccompProfile(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_Z80"]))
            }, message: "SCMP_ARCH_Z80"),
    ]

    @Test(arguments: cases)
    func rejected(_ invalid: Invalid) throws {
        let error = #expect(throws: BundleError.self) {
            try Fixtures.generate(image: invalid.image) { invalid.configure(&$0) }
        }
        #expect(error?.message.contains(invalid.message) == true, "\(error?.message ?? "no error")")
    }

    @Test("errors carry an errdefs code")
    func codes() throws {
        let unknownUser = #expect(throws: BundleError.self) { try Fixtures.generate { $0.user = "alice" } }
        #expect(unknownUser?.code == .notFound)
        let badCap = #expect(throws: BundleError.self) { try Fixtures.generate { $0.capAdd = ["FLY"] } }
        #expect(badCap?.code == .invalidArgument)
    }
}
