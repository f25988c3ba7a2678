import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

extension TaskService {
    /// Kill: the init through the executor (`--all` for every process), an
    /// exec directly by pid.
    func kill(_ request: Containerd_Task_V2_KillRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        if !request.execID.isEmpty {
            let exec = try exec(container, request.execID)
            switch exec.state {
            case .added: throw .precondition("process not created")
            case .exiting, .stopped: throw .notFound("process already finished")
            case .running(let pid):
                if let internalPID = exec.internalPID {
                    // runsc: the pid is `runsc exec`'s proxy; signal the process in the sandbox.
                    do {
                        try container.executor.kill(id: container.id, internalPID: internalPID, signal: request.signal)
                    } catch {
                        throw ShimError("", error)
                    }
                    return Google_Protobuf_Empty()
                }
                do {
                    try Signals.send(Int32(bitPattern: request.signal), to: pid)
                } catch {
                    if error.errno == 3 { throw .notFound("process already finished") }
                    throw ShimError("exec kill error", error)
                }
            }
            return Google_Protobuf_Empty()
        }
        switch container.initProcess.state {
        case .exiting, .stopped:
            guard request.all else { throw .notFound("process already finished") }
        case .created, .running, .paused: break
        }
        do {
            try container.executor.kill(id: container.id, signal: request.signal, all: request.all)
        } catch {
            throw ShimError("", error)
        }
        return Google_Protobuf_Empty()
    }

    /// Pause.
    func pause(_ request: Containerd_Task_V2_PauseRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        let process = container.initProcess
        switch process.state {
        case .running(let pid):
            do {
                try container.executor.pause(id: container.id)
            } catch {
                throw ShimError("OCI runtime pause failed", error)
            }
            process.state = .paused(pid: pid)
        case .created: throw .precondition("cannot pause task in created state")
        case .paused: throw .precondition("cannot pause a paused container")
        case .exiting, .stopped: throw .precondition("cannot pause a stopped container")
        }
        var event = Containerd_Events_TaskPaused()
        event.containerID = container.id
        publisher.publish(event)
        return Google_Protobuf_Empty()
    }

    /// Resume.
    func resume(_ request: Containerd_Task_V2_ResumeRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        let process = container.initProcess
        switch process.state {
        case .paused(let pid):
            do {
                try container.executor.resume(id: container.id)
            } catch {
                throw ShimError("OCI runtime resume failed", error)
            }
            process.state = .running(pid: pid)
        case .created: throw .precondition("cannot resume task in created state")
        case .running: throw .precondition("cannot resume a running process")
        case .exiting, .stopped: throw .precondition("cannot resume a stopped container")
        }
        var event = Containerd_Events_TaskResumed()
        event.containerID = container.id
        publisher.publish(event)
        return Google_Protobuf_Empty()
    }

    /// Update: the JSON `LinuxResources` goes to the executor's `update`.
    func update(_ request: Containerd_Task_V2_UpdateTaskRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        switch container.initProcess.state {
        case .created, .running, .paused: break
        case .exiting, .stopped: throw .precondition("cannot update a stopped container")
        }
        let file = FileSystem.join(container.bundle, ".resources.json")
        do {
            try FileSystem.write(file, Array(request.resources.value), mode: 0o600)
        } catch {
            throw ShimError("write resources", error)
        }
        defer { FileSystem.remove(file) }
        do {
            try container.executor.update(id: container.id, resourcesFile: file)
        } catch {
            throw ShimError("", error)
        }
        return Google_Protobuf_Empty()
    }

    /// CloseIO: closes a process's stdin once what is buffered is delivered.
    func closeIO(_ request: Containerd_Task_V2_CloseIORequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        guard request.stdin else { return Google_Protobuf_Empty() }
        if request.execID.isEmpty {
            container.initProcess.io.closeStdin()
        } else {
            try exec(container, request.execID).io?.closeStdin()
        }
        return Google_Protobuf_Empty()
    }

    /// ResizePty. Resizing the terminal of a process that already exited is
    /// a no-op (containerd's shim fails it, and ctr then logs an error for a
    /// race it cannot avoid: it resizes right after starting).
    func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        if request.execID.isEmpty {
            try container.initProcess.io.resize(width: request.width, height: request.height)
        } else {
            let exec = try exec(container, request.execID)
            guard exec.state.exit == nil else { return Google_Protobuf_Empty() }
            try exec.io?.resize(width: request.width, height: request.height)
        }
        return Google_Protobuf_Empty()
    }
}
