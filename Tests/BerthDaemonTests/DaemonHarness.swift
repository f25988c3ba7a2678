import BerthTestSupport
import Foundation
import Synchronization

/// A real berthd (the built binary) on a temporary root, state and socket,
/// driven by Debian's ctr. Every test makes its own and calls `cleanup()`,
/// which kills what it started by pid.
final class DaemonHarness {
    static let berthd = SchemaValidator.repositoryRoot + "/.build/debug/berthd"
    static let ctr = "/usr/bin/ctr"

    /// Why these tests cannot run here, or nil.
    static var unavailableReason: String? {
        if !FileManager.default.isExecutableFile(atPath: berthd) { return "\(berthd) not built" }
        if !FileManager.default.isExecutableFile(atPath: ctr) { return "ctr not installed" }
        if getuid() != 0 { return "needs root (sockets are chowned to root)" }
        return nil
    }

    let directory: TemporaryDirectory
    let root: String
    let state: String
    let address: String
    var ttrpcAddress: String { address + ".ttrpc" }
    let logPath: String
    private(set) var process: Process?

    init() throws {
        // Short paths: unix socket paths are limited to 107 bytes.
        directory = try TemporaryDirectory(prefix: "bd")
        root = directory.path + "/root"
        state = directory.path + "/state"
        address = directory.path + "/run/b.sock"
        logPath = directory.path + "/berthd.log"
    }

    /// berthd's arguments for this harness's paths.
    var arguments: [String] { ["--root", root, "--state", state, "--address", address, "--log-level", "debug"] }

    /// Starts berthd (or another build of it, `binary`) and waits until
    /// both sockets accept connections.
    func start(extra: [String] = [], binary: String? = nil) throws {
        let process = try launch(arguments + extra, binary: binary)
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if !process.isRunning { throw HarnessError("berthd exited early: \(log())") }
            if Self.canConnect(address), Self.canConnect(ttrpcAddress) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("berthd did not listen within 20 s: \(log())")
    }

    /// Launches berthd with `arguments`, logging to the harness log.
    func launch(_ arguments: [String], log path: String? = nil, binary: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary ?? Self.berthd)
        process.arguments = arguments
        let logFile = path ?? logPath
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// berthd's log so far.
    func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Sends `signal` and waits up to `timeout` for berthd to exit; returns
    /// its termination status, or nil if it is still running.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) -> Int32? {
        guard let process else { return nil }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { return nil }
        self.process = nil
        return process.terminationStatus
    }

    /// Kills berthd if still running (by pid) and removes the temp tree.
    func cleanup() {
        if let process, process.isRunning {
            removeLeftoverTasks()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
        // Shims outlive berthd by design: any still serving this harness
        // (a test that failed halfway) are killed by pid.
        for pid in Self.shims(address: address) { kill(pid, SIGKILL) }
        directory.remove()
    }

    /// Deletes stopped task `id` with ctr, retrying for up to 5 s while its
    /// exit is still being handled, then its container. Returns whether
    /// both went.
    func removeStoppedTask(_ id: String, namespace: String) async throws -> Bool {
        var removed = false
        for _ in 0..<100 where !removed {
            removed = try ctr(["tasks", "rm", id], namespace: namespace).status == 0
            if !removed { try await Task.sleep(for: .milliseconds(50)) }
        }
        return try removed && ctr(["containers", "rm", id], namespace: namespace).status == 0
    }

    /// Kills and deletes, through berthd, the tasks a test left behind.
    func removeLeftoverTasks() {
        let namespaces = (try? ctr(["namespaces", "ls", "-q"]))?.stdout.split(separator: "\n") ?? []
        for namespace in namespaces.map(String.init) {
            let tasks = (try? ctr(["tasks", "ls", "-q"], namespace: namespace))?.stdout.split(separator: "\n") ?? []
            for task in tasks.map(String.init) { _ = try? ctr(["tasks", "rm", "-f", task], namespace: namespace) }
        }
    }

    /// Live shim processes whose `-address` is `address`.
    static func shims(address: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let flag = arguments.firstIndex(of: "-address"), flag + 1 < arguments.count else { return false }
            return arguments[flag + 1] == address && arguments.first.map { $0.contains("shim") } == true
        }
    }

    /// Runs `ctr --address SOCK [--namespace NS] args…` to completion.
    func ctr(_ args: [String], namespace: String? = nil, stdin: Data? = nil) throws -> CommandResult {
        var full = ["--address", address]
        if let namespace { full += ["--namespace", namespace] }
        return try CommandResult.run(Self.ctr, full + args, stdin: stdin)
    }

    static func canConnect(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A finished command's status and output.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String

    static func run(_ path: String, _ arguments: [String], stdin: Data? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A long-running command (`ctr events`) whose output lines are collected
/// as they arrive; killed by pid in `stop()`.
final class StreamingCommand: Sendable {
    let process: Process
    private let output = Mutex("")

    init(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            self?.output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Everything printed so far.
    var text: String { output.withLock { $0 } }

    /// Waits until a line containing `needle` appears; returns that line.
    func waitForLine(containing needle: String, timeout: TimeInterval = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
