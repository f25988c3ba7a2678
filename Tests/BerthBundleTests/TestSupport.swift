import BerthErrors
import BerthBundle
import BerthOCI
import Foundation
import Logging

/// A host described by fixed values, so specs do not depend on the machine.
struct FixedHost: BundleHost {
    /// Every capability of Linux 6.x, in number order.
    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    var seccompArchitecture: String? = "SCMP_ARCH_X86_64"
    var kernelVersion: KernelVersion? = KernelVersion(major: 6, minor: 1)
    var privilegedCapabilities = FixedHost.allCapabilities
    var hostname = "fixed-host"
    var devices = [
        Spec.Linux.Device(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0),
        Spec.Linux.Device(path: "/dev/loop0", type: "b", major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6),
    ]
    /// System call names this fake libseccomp does not know.
    var unknownSyscalls: Set<String> = []

    func knownSyscalls(_ names: [String], logger: Logger) -> [String] {
        names.filter { !unknownSyscalls.contains($0) }
    }

    func device(atPath path: String) throws(BundleError) -> Spec.Linux.Device {
        guard let device = devices.first(where: { $0.path == path }) else {
            throw BundleError(.notFound, "no device \(path)")
        }
        return device
    }

    func allDevices() -> [Spec.Linux.Device] { devices }
}

/// Collects log records so tests can assert on warnings.
final class LogCapture: @unchecked Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var stored: [Record] = []

    var records: [Record] { lock.withLock { stored } }

    func append(_ record: Record) { lock.withLock { stored.append(record) } }

    var logger: Logger {
        Logger(label: "berth.test") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(
                Record(
                    level: event.level,
                    message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }
                )
            )
        }
    }
}

enum Fixtures {
    /// The repository root, from this file's location.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let runtimeSpecDirectory = repositoryRoot + "/runtime-spec"
    /// A rootfs holding only `/etc/passwd` and `/etc/group` (root, daemon,
    /// berth 1000 in staff 50 and video 44; root in wheel 10).
    static let rootfs = runtimeSpecDirectory + "/golden/rootfs"

    static let logger = Logger(label: "berth.test") { _ in SwiftLogNoOpLogHandler() }

    static var defaults: SpecDefaults {
        get throws { try SpecDefaults.embedded() }
    }

    static func generator(host: FixedHost = FixedHost()) throws -> BundleGenerator {
        BundleGenerator(defaults: try defaults, host: host)
    }

    /// A busybox-like image: `Cmd ["sh"]`, the usual PATH.
    static let busybox = ImageConfig(
        architecture: "amd64",
        os: "linux",
        config: ImageConfig.Config(
            env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            cmd: ["sh"]
        )
    )

    /// Generates a spec for container `id` from `image` with `configure` applied to the options.
    static func generate(
        image: ImageConfig? = busybox,
        id: String = "0123456789abcdef0123",
        rootfs: String = Fixtures.rootfs,
        host: FixedHost = FixedHost(),
        logger: Logger = Fixtures.logger,
        _ configure: (inout SpecOptions) throws -> Void = { _ in }
    ) throws -> Spec {
        var options = SpecOptions(containerID: id)
        try configure(&options)
        return try generator(host: host).generate(image: image, rootfs: rootfs, options: options, logger: logger)
    }

    /// The spec as `config.json` text, `root.path` made relative.
    static func json(_ spec: Spec) throws -> String {
        var spec = spec
        spec.root?.path = "rootfs"
        return String(decoding: try BundleWriter.encode(spec), as: UTF8.self)
    }
}

extension Spec {
    var env: [String] { process?.env ?? [] }
    var mountDestinations: [String] { (mounts ?? []).map(\.destination) }
    func mount(at destination: String) -> Spec.Mount? { mounts?.first { $0.destination == destination } }
    var namespaceTypes: [String] { (linux?.namespaces ?? []).map(\.type.rawValue) }
    var bounding: [String] { process?.capabilities?.bounding ?? [] }
    var seccompNames: [String] { (linux?.seccomp?.syscalls ?? []).flatMap(\.names) }
}
