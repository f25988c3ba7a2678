import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// The lifecycle of a container's init process. Each case carries only what
/// exists in that state: no pid before `created`, no exit before `exiting`.
/// A deleted container is no longer in the service at all.
enum InitState: Equatable {
    /// `create` ran; the process waits for `start`.
    case created(pid: Int32)
    case running(pid: Int32)
    case paused(pid: Int32)
    /// Reaped, but not yet announced: output is draining, or exec exits must
    /// be published first. Reported as running.
    case exiting(pid: Int32, exit: ExitStatus)
    /// The exit is durable and announced.
    case stopped(pid: Int32, exit: ExitStatus)

    var pid: Int32 {
        switch self {
        case .created(let pid), .running(let pid), .paused(let pid), .exiting(let pid, _), .stopped(let pid, _): pid
        }
    }

    /// The status reported by `State`.
    var status: Containerd_V1_Types_Status {
        switch self {
        case .created: .created
        case .running, .exiting: .running
        case .paused: .paused
        case .stopped: .stopped
        }
    }

    var exit: ExitStatus? {
        if case .stopped(_, let exit) = self { return exit }
        return nil
    }

    /// The state's name in containerd's error messages.
    var name: String {
        switch self {
        case .created: "created"
        case .running, .exiting: "running"
        case .paused: "paused"
        case .stopped: "stopped"
        }
    }
}

/// The lifecycle of an exec process.
enum ExecState: Equatable {
    /// `Exec` accepted it; nothing runs yet.
    case added
    case running(pid: Int32)
    /// Reaped; output is draining.
    case exiting(pid: Int32, exit: ExitStatus)
    case stopped(pid: Int32, exit: ExitStatus)

    var pid: Int32 {
        switch self {
        case .added: 0
        case .running(let pid), .exiting(let pid, _), .stopped(let pid, _): pid
        }
    }

    var status: Containerd_V1_Types_Status {
        switch self {
        case .added: .created
        case .running, .exiting: .running
        case .stopped: .stopped
        }
    }

    var exit: ExitStatus? {
        if case .stopped(_, let exit) = self { return exit }
        return nil
    }

    /// Whether an exit is still to be published.
    var isLive: Bool {
        switch self {
        case .running, .exiting: true
        case .added, .stopped: false
        }
    }
}

/// A container's init process.
final class InitProcess {
    let id: String
    let stdio: StdioRequest
    var state: InitState
    let io: ProcessIO
    var waiters: [TTRPCResponder] = []

    init(id: String, stdio: StdioRequest, pid: Int32, io: ProcessIO) {
        self.id = id
        self.stdio = stdio
        self.state = .created(pid: pid)
        self.io = io
    }
}

/// A process run in the container with `Exec`.
final class ExecProcess {
    let id: String
    let stdio: StdioRequest
    /// The JSON OCI `Process` from the request.
    let spec: [UInt8]
    var state: ExecState = .added
    /// The pid inside the container where the executor's exec pid is a
    /// proxy (runsc): what `kill --pid` takes and `ps` lists.
    var internalPID: Int32?
    var io: ProcessIO?
    var waiters: [TTRPCResponder] = []

    init(id: String, stdio: StdioRequest, spec: [UInt8]) {
        self.id = id
        self.stdio = stdio
        self.spec = spec
    }
}
