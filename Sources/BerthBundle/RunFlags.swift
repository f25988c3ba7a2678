public import BerthOCI

/// The `docker run`-style flags of `berth spec`, `berth run` and
/// `berth create`, as the user typed them (strings, not yet parsed), and
/// their one mapping onto ``SpecOptions`` (in `RunFlags+SpecOptions.swift`).
///
/// The CLI fills it from its parsed arguments; the golden fixtures in
/// `runtime-spec/golden/*/options.json` decode it from JSON with the
/// property names as keys (`net`, `uidmap` and `gidmap` as the flags spell
/// them). Files named by flags (`--env-file`, `--security-opt seccomp=FILE`)
/// are read when the options are made; `--hooks FILE` is read by the CLI
/// into ``hooks``.
public struct RunFlags: Sendable, Equatable {
    // process
    public var entrypoint: String?
    public var command: [String] = []
    public var env: [String] = []
    public var envFiles: [String] = []
    public var user: String?
    public var workdir: String?
    public var tty = false
    public var interactive = false
    // identity
    public var hostname: String?
    public var annotations: [String] = []
    // filesystem
    public var readOnly = false
    public var volumes: [String] = []
    public var mounts: [String] = []
    public var tmpfs: [String] = []
    public var volumesRoot: String?
    public var noImageVolumes = false
    // security
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var privileged = false
    public var securityOptions: [String] = []
    // resources
    public var ulimits: [String] = []
    public var memory: String?
    public var memorySwap: String?
    public var memoryReservation: String?
    public var cpus: String?
    public var cpuPeriod: UInt64?
    public var cpuQuota: Int64?
    public var cpuShares: UInt64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    public var pidsLimit: Int64?
    public var devices: [String] = []
    public var sysctls: [String] = []
    // namespaces
    public var network: String?
    public var pid: String?
    public var ipc: String?
    public var uts: String?
    public var uidMaps: [String] = []
    public var gidMaps: [String] = []
    // placement
    public var cgroupParent: String?
    public var cgroupsPath: String?
    public var oomScoreAdj: Int?
    public var hooks: Spec.Hooks?

    public init() {}
}

extension RunFlags: Decodable {
    enum CodingKeys: String, CodingKey {
        case entrypoint, command, env, envFiles, user, workdir, tty, interactive, hostname, annotations
        case readOnly, volumes, mounts, tmpfs, volumesRoot, noImageVolumes
        case capAdd, capDrop, privileged
        case securityOptions = "securityOpt"
        case ulimits, memory, memorySwap, memoryReservation, cpus, cpuPeriod, cpuQuota, cpuShares
        case cpusetCpus, cpusetMems, pidsLimit, devices, sysctls
        case network = "net"
        case pid, ipc, uts
        case uidMaps = "uidmap"
        case gidMaps = "gidmap"
        case cgroupParent, cgroupsPath, oomScoreAdj, hooks
    }

    /// Every key is optional; unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func list(_ key: CodingKeys) throws -> [String] { try c.decodeIfPresent([String].self, forKey: key) ?? [] }
        func flag(_ key: CodingKeys) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? false }
        func text(_ key: CodingKeys) throws -> String? { try c.decodeIfPresent(String.self, forKey: key) }
        entrypoint = try text(.entrypoint)
        command = try list(.command)
        env = try list(.env)
        envFiles = try list(.envFiles)
        user = try text(.user)
        workdir = try text(.workdir)
        tty = try flag(.tty)
        interactive = try flag(.interactive)
        hostname = try text(.hostname)
        annotations = try list(.annotations)
        readOnly = try flag(.readOnly)
        volumes = try list(.volumes)
        mounts = try list(.mounts)
        tmpfs = try list(.tmpfs)
        volumesRoot = try text(.volumesRoot)
        noImageVolumes = try flag(.noImageVolumes)
        capAdd = try list(.capAdd)
        capDrop = try list(.capDrop)
        privileged = try flag(.privileged)
        securityOptions = try list(.securityOptions)
        ulimits = try list(.ulimits)
        memory = try text(.memory)
        memorySwap = try text(.memorySwap)
        memoryReservation = try text(.memoryReservation)
        cpus = try text(.cpus)
        cpuPeriod = try c.decodeIfPresent(UInt64.self, forKey: .cpuPeriod)
        cpuQuota = try c.decodeIfPresent(Int64.self, forKey: .cpuQuota)
        cpuShares = try c.decodeIfPresent(UInt64.self, forKey: .cpuShares)
        cpusetCpus = try text(.cpusetCpus)
        cpusetMems = try text(.cpusetMems)
        pidsLimit = try c.decodeIfPresent(Int64.self, forKey: .pidsLimit)
        devices = try list(.devices)
        sysctls = try list(.sysctls)
        network = try text(.network)
        pid = try text(.pid)
        ipc = try text(.ipc)
        uts = try text(.uts)
        uidMaps = try list(.uidMaps)
        gidMaps = try list(.gidMaps)
        cgroupParent = try text(.cgroupParent)
        cgroupsPath = try text(.cgroupsPath)
        oomScoreAdj = try c.decodeIfPresent(Int.self, forKey: .oomScoreAdj)
        hooks = try c.decodeIfPresent(Spec.Hooks.self, forKey: .hooks)
    }
}
