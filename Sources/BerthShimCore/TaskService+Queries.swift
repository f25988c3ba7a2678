import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension TaskService {
    /// State: keeps answering for a stopped task until it is deleted.
    func state(_ request: Containerd_Task_V2_StateRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        var response = Containerd_Task_V2_StateResponse()
        response.bundle = container.bundle
        let stdio: StdioRequest
        let exit: ExitStatus?
        if request.execID.isEmpty {
            let process = container.initProcess
            response.id = container.id
            response.pid = UInt32(bitPattern: process.state.pid)
            response.status = process.state.status
            stdio = process.stdio
            exit = process.state.exit
        } else {
            let exec = try exec(container, request.execID)
            response.id = exec.id
            response.execID = exec.id
            response.pid = UInt32(bitPattern: exec.state.pid)
            response.status = exec.state.status
            stdio = exec.stdio
            exit = exec.state.exit
        }
        response.stdin = stdio.stdin
        response.stdout = stdio.stdout
        response.stderr = stdio.stderr
        response.terminal = stdio.terminal
        if let exit {
            response.exitStatus = exit.status
            response.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
        }
        return response
    }

    /// Wait: answered at once for a stopped process, otherwise when its exit
    /// is announced. Accepted on a created process.
    func wait(_ request: Containerd_Task_V2_WaitRequest, _ responder: TTRPCResponder) throws(ShimError) {
        let container = try container(request.id)
        if request.execID.isEmpty {
            let process = container.initProcess
            if let exit = process.state.exit {
                responder.succeed(Self.waitResponse(exit))
            } else {
                process.waiters.append(responder)
            }
        } else {
            let exec = try exec(container, request.execID)
            if let exit = exec.state.exit {
                responder.succeed(Self.waitResponse(exit))
            } else {
                exec.waiters.append(responder)
            }
        }
    }

    static func waitResponse(_ exit: ExitStatus) -> Containerd_Task_V2_WaitResponse {
        var response = Containerd_Task_V2_WaitResponse()
        response.exitStatus = exit.status
        response.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
        return response
    }

    /// Pids: the executor's `ps`, with exec ids attached.
    func pids(_ request: Containerd_Task_V2_PidsRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        let pids: [Int32]
        do {
            pids = try container.executor.ps(id: container.id)
        } catch {
            throw ShimError("", error)
        }
        var response = Containerd_Task_V2_PidsResponse()
        for pid in pids {
            var info = Containerd_V1_Types_ProcessInfo()
            info.pid = UInt32(bitPattern: pid)
            // `ps` lists pids as the executor sees them: internal ones for runsc execs.
            let exec = container.execs.values.first { ($0.internalPID ?? $0.state.pid) == pid && $0.state.isLive }
            if let exec {
                var details = Containerd_Runc_V1_ProcessDetails()
                details.execID = exec.id
                if let any = try? Google_Protobuf_Any(containerdPacking: details) { info.info = any }
            }
            response.processes.append(info)
        }
        return response
    }

    /// Stats: cgroup metrics of the container.
    func stats(_ request: Containerd_Task_V2_StatsRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        guard let cgroup = container.cgroup else { throw .notFound("cgroup does not exist") }
        var response = Containerd_Task_V2_StatsResponse()
        response.stats = try CgroupStats.metrics(cgroup)
        return response
    }

    /// Connect: the shim's and the task's pids.
    func connect(_ request: Containerd_Task_V2_ConnectRequest) throws(ShimError) -> any Message {
        var response = Containerd_Task_V2_ConnectResponse()
        response.shimPid = UInt32(bitPattern: getpid())
        if let container, container.id == request.id || request.id.isEmpty {
            response.taskPid = UInt32(bitPattern: container.initProcess.state.pid)
        }
        response.version = BerthBuild.version
        return response
    }

    /// Shutdown: exits once no task remains (a live task keeps the shim).
    func shutdown(_ request: Containerd_Task_V2_ShutdownRequest) throws(ShimError) -> any Message {
        if container == nil {
            let now = request.now
            loop.execute { [unowned self] in self.onShutdown(now) }
        }
        return Google_Protobuf_Empty()
    }
}
