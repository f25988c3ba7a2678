import BerthBundle
import BerthOCI
import Foundation
import Testing

/// The options of a golden fixture, spelled as `berth spec` flags spell them.
struct GoldenOptions: Decodable {
    var id: String
    var entrypoint: [String]?
    var command: [String]?
    var env: [String]?
    var user: String?
    var workdir: String?
    var tty: Bool?
    var interactive: Bool?
    var hostname: String?
    var annotations: [String: String]?
    var readOnly: Bool?
    var volumes: [String]?
    var mounts: [String]?
    var tmpfs: [String]?
    var volumesRoot: String?
    var imageVolumes: String?
    var capAdd: [String]?
    var capDrop: [String]?
    var privileged: Bool?
    var seccomp: String?
    var noNewPrivileges: Bool?
    var ulimits: [String]?
    var memory: String?
    var memorySwap: String?
    var memoryReservation: String?
    var cpus: String?
    var cpuPeriod: UInt64?
    var cpuQuota: Int64?
    var cpuShares: UInt64?
    var cpusetCpus: String?
    var cpusetMems: String?
    var pidsLimit: Int64?
    var devices: [String]?
    var sysctls: [String: String]?
    var net: String?
    var pid: String?
    var ipc: String?
    var uts: String?
    var uidmap: [String]?
    var gidmap: [String]?
    var cgroupParent: String?
    var cgroupsPath: String?
    var oomScoreAdj: Int?
    var hooks: Spec.Hooks?

    func specOptions() throws -> SpecOptions {
        var options = SpecOptions(containerID: id)
        options.entrypoint = entrypoint
        options.command = command ?? []
        options.env = env ?? []
        options.user = user
        options.workdir = workdir
        options.tty = tty ?? false
        options.stdin = interactive ?? false
        options.hostname = hostname
        options.annotations = annotations ?? [:]
        options.readOnlyRootfs = readOnly ?? false
        options.mounts =
            try (volumes ?? []).map { try MountRequest(volumeFlag: $0) }
            + (mounts ?? []).map { try MountRequest(mountFlag: $0) }
            + (tmpfs ?? []).map { try MountRequest(tmpfsFlag: $0) }
        options.volumesRoot = volumesRoot
        options.imageVolumes = imageVolumes == "ignore" ? .ignore : .anonymous
        options.capAdd = capAdd ?? []
        options.capDrop = capDrop ?? []
        options.privileged = privileged ?? false
        switch seccomp {
        case "default": options.seccomp = .default
        case "unconfined": options.seccomp = .unconfined
        default: options.seccomp = nil
        }
        options.noNewPrivileges = noNewPrivileges ?? false
        options.rlimits = try (ulimits ?? []).map(FlagParser.ulimit)
        options.memory = try memory.map { try FlagParser.byteSize($0, flag: "--memory") }
        options.memorySwap = try memorySwap.map {
            try FlagParser.byteSize($0, flag: "--memory-swap", allowUnlimited: true)
        }
        options.memoryReservation = try memoryReservation.map {
            try FlagParser.byteSize($0, flag: "--memory-reservation")
        }
        options.nanoCPUs = try cpus.map(FlagParser.nanoCPUs)
        options.cpuPeriod = cpuPeriod
        options.cpuQuota = cpuQuota
        options.cpuShares = cpuShares
        options.cpusetCpus = cpusetCpus
        options.cpusetMems = cpusetMems
        options.pidsLimit = pidsLimit
        options.devices = try (devices ?? []).map(FlagParser.device)
        options.sysctls = sysctls ?? [:]
        options.network = try net.map { try FlagParser.namespaceMode($0, flag: "--net") } ?? .private
        options.pid = try pid.map { try FlagParser.namespaceMode($0, flag: "--pid") } ?? .private
        options.ipc = try ipc.map { try FlagParser.namespaceMode($0, flag: "--ipc") } ?? .private
        options.uts = try uts.map { try FlagParser.namespaceMode($0, flag: "--uts") } ?? .private
        options.uidMappings = try (uidmap ?? []).map { try FlagParser.idMapping($0, flag: "--uidmap") }
        options.gidMappings = try (gidmap ?? []).map { try FlagParser.idMapping($0, flag: "--gidmap") }
        options.cgroupParent = cgroupParent
        options.cgroupsPath = cgroupsPath
        options.oomScoreAdj = oomScoreAdj
        options.hooks = hooks
        return options
    }
}

/// One directory of `runtime-spec/golden/`: `image.json` (an image config),
/// `options.json` (``GoldenOptions``) and the expected `config.json`.
struct GoldenFixture: Sendable, CustomTestStringConvertible {
    static let root = Fixtures.runtimeSpecDirectory + "/golden"

    var name: String
    var directory: String { Self.root + "/" + name }
    var testDescription: String { name }

    static func all() throws -> [GoldenFixture] {
        try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/options.json") }
            .sorted()
            .map { GoldenFixture(name: $0) }
    }

    /// Generated with ``FixedHost`` and the shared golden rootfs, `root.path` made relative.
    func generate() throws -> Spec {
        let decoder = JSONDecoder()
        let image = try decoder.decode(
            ImageConfig.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/image.json")))
        let options = try decoder.decode(
            GoldenOptions.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/options.json")))
        return try BundleGenerator(defaults: try Fixtures.defaults, host: FixedHost())
            .generate(
                image: image, rootfs: Fixtures.rootfs, options: try options.specOptions(), logger: Fixtures.logger)
    }
}

@Suite("golden fixtures in runtime-spec/golden (BERTH_UPDATE_GOLDEN=1 rewrites them)")
struct GoldenTests {
    static let update = ProcessInfo.processInfo.environment["BERTH_UPDATE_GOLDEN"] == "1"

    @Test("there are fixtures")
    func present() throws {
        #expect(try GoldenFixture.all().count >= 5)
    }

    @Test(arguments: try GoldenFixture.all())
    func matches(_ golden: GoldenFixture) throws {
        let generated = try Fixtures.json(try golden.generate())
        let path = golden.directory + "/config.json"
        if Self.update {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(generated == expected, "\(golden.name): run with BERTH_UPDATE_GOLDEN=1 and review the diff")
    }
}
