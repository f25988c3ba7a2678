import BerthShimProto
import Foundation
import SwiftProtobuf
import Testing

/// The executors issue 5's test matrix runs on: every edge case runs once
/// per executor, chosen the way containerd chooses it, through
/// `containerd.runc.v1.Options.binary_name` (`ctr run --runc-binary`, or
/// `CreateTaskRequest.options` when a test plays the daemon).
///
/// Named `ShimExecutor`, not `Executor`, so it does not shadow
/// `BerthExecutor.Executor` in this test module.
enum ShimExecutor: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case runc, crun, runsc

    var testDescription: String { rawValue }

    /// The executor is installed; a matrix test fails (not skips) without it.
    var isInstalled: Bool { ShimTestEnvironment.has(rawValue) }

    /// Requires the executor's binary, with a message naming it.
    func require() throws {
        try #require(isInstalled, "\(rawValue) not installed")
    }

    /// containerd's runc `Options` selecting this executor, as `Create` carries them.
    var runtimeOptions: Google_Protobuf_Any {
        get throws {
            var options = Containerd_Runc_V1_Options()
            options.binaryName = rawValue
            return try Google_Protobuf_Any(containerdPacking: options)
        }
    }

    /// runsc is slow (a sandbox per container, hundreds of milliseconds per
    /// verb): its loops are scaled down to keep the suite's run time bounded.
    var isSlow: Bool { self == .runsc }

    /// Execs in the direct exec storm.
    var stormSize: Int { isSlow ? 20 : 200 }

    /// Concurrent `ctr tasks exec` in the containerd exec storm.
    var ctrStormSize: Int { isSlow ? 8 : 16 }

    /// Seconds allowed for one ctr command.
    var ctrTimeout: TimeInterval { isSlow ? 180 : 60 }

    /// The runtime name ctr needs to send runtime options: containerd sends
    /// `Options` only to `io.containerd.runc.v2`, which the harness links to
    /// berth-shim (`ContainerdHarness(shimAsRuncV2: true)`).
    static let ctrRuntime = "io.containerd.runc.v2"

    /// Sandbox executors report pids of the sandbox's own pid namespace
    /// (`runsc ps`): they are not host pids and cannot be checked with kill(0).
    var reportsHostPIDs: Bool { self != .runsc }

    /// A container's terminal is a `/dev/pts/N` of the host's devpts. In a
    /// runsc sandbox the console is a host descriptor imported into gVisor
    /// (`/proc/self/fd/0` is not a devpts path, so `tty` says "not a tty"
    /// although `isatty` holds and `stty` works): only isatty and the size
    /// can be checked there.
    var namesTerminalsInDevPts: Bool { self != .runsc }
}

extension ContainerdHarness {
    /// `ctr run --runtime io.containerd.runc.v2 --runc-binary EXECUTOR [options] IMAGE id args…`.
    func run(
        _ id: String, _ arguments: [String], on executor: ShimExecutor, options: [String] = ["--rm"],
        stdin: Data? = nil
    ) throws -> Run.Result {
        try run(
            id, arguments, options: options + ["--runc-binary", executor.rawValue], runtime: ShimExecutor.ctrRuntime,
            stdin: stdin, timeout: executor.ctrTimeout)
    }

    /// The shim said it created `id` with `executor`.
    func logsExecutor(_ executor: ShimExecutor, for id: String) -> Bool {
        log.contains("container.id=\"\(id)\" executor=\"\(executor.rawValue)\"")
    }
}
