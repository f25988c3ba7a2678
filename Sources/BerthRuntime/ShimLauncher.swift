import BerthShimProto
import BerthSystem
import Foundation
import Logging
import NIOPosix
import SwiftProtobuf

/// Runs a shim binary's bootstrap actions with containerd's contract:
/// `<shim> -namespace NS -address GRPC -publish-binary DAEMON -id ID
/// [-bundle B] [-debug] start|delete`, cwd = bundle, the daemon's
/// environment plus `TTRPC_ADDRESS`.
///
/// The actions block (they fork, exec and wait), so they run on a thread
/// pool of their own, never on Swift's cooperative pool; it is wider than
/// the core count because its threads mostly wait for the shim.
public struct ShimLauncher: Sendable {
    /// The daemon's gRPC socket (`-address`).
    public var grpcAddress: String
    /// The daemon's ttrpc socket (`TTRPC_ADDRESS`), where shims publish.
    public var ttrpcAddress: String
    /// The daemon's executable (`-publish-binary`).
    public var daemonBinary: String
    /// Passes `-debug`.
    public var debug: Bool
    let logger: Logger

    /// A launcher for a daemon at `grpcAddress`/`ttrpcAddress`.
    public init(grpcAddress: String, ttrpcAddress: String, daemonBinary: String, debug: Bool, logger: Logger) {
        self.grpcAddress = grpcAddress
        self.ttrpcAddress = ttrpcAddress
        self.daemonBinary = daemonBinary
        self.debug = debug
        self.logger = logger
    }

    /// Runs `start`: the shim forks its long-running self and prints its
    /// address. `options` (a serialized `Any`) goes on stdin.
    ///
    /// - Returns: the address, e.g. `unix:///run/berth/s/<hash>`.
    /// - Throws: `internal` with the shim's output if it fails.
    public func start(binary: String, bundle: TaskBundle, options: [UInt8]) async throws(RuntimeError) -> String {
        let arguments = baseArguments(bundle: bundle, withBundle: false) + ["start"]
        let output = try await run(binary: binary, arguments: arguments, bundle: bundle, input: options)
        let text = String(decoding: output.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard output.status == .exited(0), !text.isEmpty else {
            throw .internal("start shim \(binary): \(output.status): \(text)")
        }
        // A shim may log before the address: the address is the last line.
        return text.split(separator: "\n").last.map(String.init) ?? text
    }

    /// Runs `delete`, the clean-up after a dead shim: the shim removes the
    /// executor's state and unmounts the rootfs, and prints a
    /// `DeleteResponse` with the exit it knows (or 137).
    public func delete(binary: String, bundle: TaskBundle) async throws(RuntimeError)
        -> Containerd_Task_V2_DeleteResponse
    {
        let arguments = baseArguments(bundle: bundle, withBundle: true) + ["delete"]
        let output = try await run(
            binary: binary, arguments: arguments, bundle: bundle, input: [], separateErrors: true)
        guard output.status == .exited(0) else {
            throw .internal(
                "shim delete \(binary): \(output.status): \(String(decoding: output.errors, as: UTF8.self))")
        }
        do {
            return try Containerd_Task_V2_DeleteResponse(serializedBytes: output.bytes)
        } catch {
            throw .internal("shim delete \(binary): unreadable DeleteResponse: \(error)")
        }
    }

    private func baseArguments(bundle: TaskBundle, withBundle: Bool) -> [String] {
        var arguments = [
            "-namespace", bundle.namespace, "-address", grpcAddress, "-publish-binary", daemonBinary, "-id", bundle.id,
        ]
        if withBundle { arguments += ["-bundle", bundle.path] }
        if debug { arguments.append("-debug") }
        return arguments
    }

    /// Threads for bootstrap actions: a burst of creates waits on many shims.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    struct Output {
        var status: WaitStatus
        var bytes: [UInt8]
        var errors: [UInt8]
    }

    private func run(
        binary: String, arguments: [String], bundle: TaskBundle, input: [UInt8], separateErrors: Bool = false
    ) async throws(RuntimeError) -> Output {
        var environment = ProcessInfo.processInfo.environment
        environment["TTRPC_ADDRESS"] = ttrpcAddress
        environment["GOMAXPROCS"] = environment["GOMAXPROCS"] ?? "2"
        let env = environment.map { "\($0.key)=\($0.value)" }
        let argv = [binary] + arguments
        let cwd = bundle.path
        do {
            return try await Self.pool.runIfActive {
                try Self.runBlocking(
                    binary: binary, argv: argv, env: env, cwd: cwd, input: input, separateErrors: separateErrors)
            }
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw .internal("run \(binary): \(error)")
        }
    }

    private static func runBlocking(
        binary: String, argv: [String], env: [String], cwd: String, input: [UInt8], separateErrors: Bool
    ) throws -> Output {
        let stdin = try Descriptor.pipe()
        let stdout = try Descriptor.pipe()
        let stderr = separateErrors ? try Descriptor.pipe() : stdout
        var options = Spawn.Options()
        options.stdio = (stdin.read, stdout.write, stderr.write)
        options.workingDirectory = cwd
        let child: SpawnedProcess
        do {
            child = try Spawn.launch(path: binary, arguments: argv, environment: env, options: options)
        } catch {
            for fd in Set([stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write]) {
                Descriptor.close(fd)
            }
            throw RuntimeError.internal("exec \(binary): \(error)")
        }
        Descriptor.close(stdin.read)
        Descriptor.close(stdout.write)
        if separateErrors { Descriptor.close(stderr.write) }
        // Options are small (well under a pipe buffer); a shim that does
        // not read them must not block us.
        try? Descriptor.writeAll(stdin.write, input)
        Descriptor.close(stdin.write)
        let bytes = (try? Descriptor.readAll(stdout.read)) ?? []
        Descriptor.close(stdout.read)
        var errors: [UInt8] = []
        if separateErrors {
            errors = (try? Descriptor.readAll(stderr.read)) ?? []
            Descriptor.close(stderr.read)
        }
        let status = try Spawn.wait(pid: child.pid)
        Descriptor.close(child.pidfd)
        return Output(status: status, bytes: bytes, errors: errors)
    }
}
