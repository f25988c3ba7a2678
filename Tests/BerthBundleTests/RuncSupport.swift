import BerthBundle
import BerthCapabilities
import BerthOCI
import BerthTestSupport
import Foundation
import Logging

/// Runs generated bundles with the real runc.
enum Runc {
    static let path: String? = ["/usr/sbin/runc", "/usr/bin/runc"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let busybox = "/bin/busybox"

    /// Why the runc tests cannot run here, or nil.
    static var unavailableReason: String? {
        if getuid() != 0 { return "runc tests need root" }
        if path == nil { return "runc is not installed (/usr/sbin/runc, /usr/bin/runc)" }
        if !FileManager.default.isExecutableFile(atPath: busybox) { return "\(busybox) is missing (busybox-static)" }
        return nil
    }

    /// The bit mask `/proc/self/status` shows for a set of capability names.
    static func mask(_ names: [String]) throws -> String {
        var bits: UInt64 = 0
        for name in names {
            bits |= 1 << UInt64(try Capability(name).value)
        }
        let hex = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// This process's bounding set as `/proc/self/status` shows it.
    static func hostBoundingMask() throws -> String {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") } ?? ""
        return line.split(separator: "\t").last.map(String.init) ?? ""
    }
}

/// A bundle in its own temporary directory: a busybox rootfs with /etc/passwd
/// (root, berth 1000) and /etc/group (berth in staff 50), and a config.json.
struct RuncBundle {
    let directory: TemporaryDirectory
    let id: String
    var rootfs: String { directory.path + "/rootfs" }

    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        berth:x:1000:1000:Berth test user:/home/berth:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """
    static let group = """
        root:x:0:
        wheel:x:10:root
        staff:x:50:berth
        berth:x:1000:
        nogroup:x:65534:

        """

    /// Builds the rootfs, then generates and writes the spec for `script`
    /// (run by `/bin/sh -c`) with `configure` applied to the options.
    init(
        script: String,
        image: ImageConfig = Fixtures.busybox,
        _ configure: (inout SpecOptions) throws -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory(prefix: "berth-runc")
        id = "berth-bundle-test-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        do {
            try Self.makeRootfs(at: directory.path + "/rootfs")
            var options = SpecOptions(containerID: id)
            options.command = ["/bin/sh", "-c", script]
            options.cgroupParent = "/berth-test"
            try configure(&options)
            let logger = Logger(label: "berth.test.runc") { _ in SwiftLogNoOpLogHandler() }
            options.volumesRoot = options.volumesRoot ?? directory.path + "/volumes"
            let spec = try BundleGenerator.live().generate(
                image: image, rootfs: rootfs, options: options, logger: logger)
            try BundleWriter.createVolumeDirectories(for: spec, volumesRoot: options.volumesRoot ?? "")
            try BundleWriter.write(spec, bundle: directory.path, rootfs: rootfs)
        } catch {
            directory.remove()
            throw error
        }
    }

    static func makeRootfs(at root: String) throws {
        let files = FileManager.default
        for path in ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "home/berth"] {
            try files.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        try files.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: root + "/tmp")
        try files.copyItem(atPath: Runc.busybox, toPath: root + "/bin/busybox")
        let list = try run(Runc.busybox, ["--list"]).stdout
        for applet in list.split(separator: "\n") where applet != "busybox" {
            try files.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try passwd.write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try group.write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        try files.setAttributes(
            [.ownerAccountID: 1000, .groupOwnerAccountID: 1000], ofItemAtPath: root + "/home/berth")
    }

    /// `runc run` in the foreground, stdin closed; returns its exit status and output.
    func run() throws -> (status: Int32, stdout: String, stderr: String) {
        try Self.run(Runc.path ?? "runc", ["run", "--bundle", directory.path, id])
    }

    /// The `key=value` lines the script printed, as a dictionary (later lines win).
    func facts() throws -> [String: String] {
        let result = try run()
        var facts: [String: String] = ["exit": "\(result.status)", "stderr": result.stderr]
        for line in result.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            facts[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return facts
    }

    /// Deletes the container (if runc still knows it), the bundle, and the
    /// shared `/berth-test` cgroup parents once no other test uses them.
    func remove() {
        _ = try? Self.run(Runc.path ?? "runc", ["delete", "-f", id])
        directory.remove()
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        for controller in controllers {
            rmdir("/sys/fs/cgroup/\(controller)/berth-test")
        }
        rmdir("/sys/fs/cgroup/berth-test")
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        let errorData = LockedData()
        let errorReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        while !errorData.isSet { usleep(1000) }
        return (
            process.terminationStatus,
            String(decoding: output, as: UTF8.self),
            String(decoding: errorData.value, as: UTF8.self)
        )
    }
}

/// A value written by one thread and read by another.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}
