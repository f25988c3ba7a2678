import ArgumentParser
import BerthBundle
import BerthOCI
import Foundation

/// The `docker run`-style options shared by `berth spec` and `berth run`.
///
/// Flag names follow Docker and nerdctl. Values that start with `-` (such as
/// `--memory-swap -1` or `--oom-score-adj -500`) are accepted after a space or `=`.
struct RunOptions: ParsableArguments {
    // MARK: process

    @Option(help: "Overwrite the image's ENTRYPOINT (\"\" clears it); the image's CMD is dropped.")
    var entrypoint: String?

    @Option(
        name: [.customShort("e"), .customLong("env")],
        help: "Set an environment variable (KEY=VALUE, or KEY to copy it from this environment).")
    var env: [String] = []

    @Option(name: .customLong("env-file"), help: "Read environment variables from a file, one KEY=VALUE per line.")
    var envFiles: [String] = []

    @Option(name: [.customShort("u"), .customLong("user")], help: "User: name, uid, name:group, uid:gid or uid:group.")
    var user: String?

    @Option(name: [.customShort("w"), .customLong("workdir")], help: "Working directory inside the container.")
    var workdir: String?

    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Allocate a terminal.")
    var tty = false

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Keep stdin open.")
    var interactive = false

    // MARK: identity

    @Option(help: "Container hostname (default: the first 12 characters of the id).")
    var hostname: String?

    @Option(name: .customLong("annotation"), help: "Add an annotation (KEY=VALUE).")
    var annotations: [String] = []

    // MARK: filesystem

    @Flag(name: .customLong("read-only"), help: "Mount the root filesystem read-only.")
    var readOnly = false

    @Option(
        name: [.customShort("v"), .customLong("volume")],
        help: "Bind or volume mount: [SOURCE:]DEST[:ro|rw|PROPAGATION].")
    var volumes: [String] = []

    @Option(name: .customLong("mount"), help: "Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly][,…].")
    var mounts: [String] = []

    @Option(name: .customLong("tmpfs"), help: "Mount a tmpfs: DEST[:OPTIONS].")
    var tmpfs: [String] = []

    @Option(name: .customLong("volumes-root"), help: "Where named and anonymous volumes live on the host.")
    var volumesRoot: String?

    // MARK: security

    @Option(name: .customLong("cap-add"), help: "Add a capability (or ALL).")
    var capAdd: [String] = []

    @Option(name: .customLong("cap-drop"), help: "Drop a capability (or ALL).")
    var capDrop: [String] = []

    @Flag(help: "Give the container every capability and device, with no seccomp filter or masked paths.")
    var privileged = false

    @Option(
        name: .customLong("security-opt"), help: "seccomp=default|unconfined|FILE, or no-new-privileges[=true|false].")
    var securityOptions: [String] = []

    // MARK: resources

    @Option(
        name: .customLong("ulimit"), parsing: .unconditionalSingleValue,
        help: "Resource limit: NAME=SOFT[:HARD], e.g. nofile=1024:2048.")
    var ulimits: [String] = []

    @Option(name: [.customShort("m"), .customLong("memory")], help: "Memory limit, e.g. 512m.")
    var memory: String?

    @Option(
        name: .customLong("memory-swap"), parsing: .unconditional,
        help: "Memory plus swap limit, or -1 for unlimited swap.")
    var memorySwap: String?

    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.")
    var memoryReservation: String?

    @Option(help: "Number of CPUs, e.g. 1.5.")
    var cpus: String?

    @Option(name: .customLong("cpu-period"), help: "CFS period in microseconds.")
    var cpuPeriod: UInt64?

    @Option(name: .customLong("cpu-quota"), parsing: .unconditional, help: "CFS quota in microseconds (-1: unlimited).")
    var cpuQuota: Int64?

    @Option(name: [.customShort("c"), .customLong("cpu-shares")], help: "Relative CPU weight.")
    var cpuShares: UInt64?

    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to run on, e.g. 0-3,6.")
    var cpusetCpus: String?

    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes to use.")
    var cpusetMems: String?

    @Option(name: .customLong("pids-limit"), parsing: .unconditional, help: "Maximum number of tasks (-1: unlimited).")
    var pidsLimit: Int64?

    @Option(name: .customLong("device"), help: "Add a host device: HOST[:CONTAINER][:rwm].")
    var devices: [String] = []

    @Option(name: .customLong("sysctl"), help: "Set a namespaced kernel parameter (KEY=VALUE).")
    var sysctls: [String] = []

    // MARK: namespaces

    @Option(
        name: [.customLong("net"), .customLong("network")], help: "Network namespace: none (default), host or ns:PATH.")
    var network: String?

    @Option(help: "PID namespace: private (default), host or ns:PATH.")
    var pid: String?

    @Option(help: "IPC namespace: private (default), host or ns:PATH.")
    var ipc: String?

    @Option(help: "UTS namespace: private (default), host or ns:PATH.")
    var uts: String?

    @Option(name: .customLong("uidmap"), help: "User namespace uid mapping CONTAINER_ID:HOST_ID:SIZE.")
    var uidMaps: [String] = []

    @Option(name: .customLong("gidmap"), help: "User namespace gid mapping (default: the uid mappings).")
    var gidMaps: [String] = []

    // MARK: placement

    @Option(name: .customLong("cgroup-parent"), help: "Parent cgroup; the cgroups path becomes PARENT/ID.")
    var cgroupParent: String?

    @Option(name: .customLong("cgroups-path"), help: "Exact cgroups path (overrides --cgroup-parent).")
    var cgroupsPath: String?

    @Option(name: .customLong("oom-score-adj"), parsing: .unconditional, help: "OOM score adjustment, -1000…1000.")
    var oomScoreAdj: Int?

    @Option(name: .customLong("hooks"), help: "A JSON file of runtime-spec hooks to add.")
    var hooksFile: String?

    @Flag(name: .customLong("no-image-volumes"), help: "Do not turn the image's VOLUMEs into anonymous volumes.")
    var noImageVolumes = false
}
