import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

extension TaskService {
    /// Start: the init (`start`) or an exec (`exec --detach`). The start
    /// event is queued before any exit can be handled: exits reaped while
    /// the executor ran are delivered on a later loop turn.
    func start(_ request: Containerd_Task_V2_StartRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        var response = Containerd_Task_V2_StartResponse()
        if request.execID.isEmpty {
            let process = container.initProcess
            guard case .created(let pid) = process.state else {
                throw .precondition("cannot start a \(process.state.name) process")
            }
            let timing = ExecutorTiming()
            do {
                try container.executor.start(id: container.id)
            } catch {
                throw ShimError("", error)
            }
            timing.record("executor_start", bundle: container.bundle)
            process.state = .running(pid: pid)
            var event = Containerd_Events_TaskStart()
            event.containerID = container.id
            event.pid = UInt32(bitPattern: pid)
            publisher.publish(event)
            response.pid = UInt32(bitPattern: pid)
            return response
        }

        let exec = try exec(container, request.execID)
        guard case .added = exec.state else {
            throw .precondition("cannot start a \(exec.state.status == .stopped ? "stopped" : "running") process")
        }
        switch container.initProcess.state {
        case .running: break
        case .paused: throw .precondition("cannot exec in a paused state")
        case .created: throw .precondition("cannot exec in a created state")
        case .exiting, .stopped: throw .precondition("cannot exec in a stopped state")
        }
        let processFile = FileSystem.join(container.bundle, ".exec-\(exec.id).json")
        let pidFile = FileSystem.join(container.bundle, "\(exec.id).pid")
        let internalPIDFile =
            container.executor.driver.features.execsHaveInternalPIDs
            ? FileSystem.join(container.bundle, "\(exec.id).internal.pid") : nil
        do {
            try FileSystem.write(processFile, exec.spec, mode: 0o600)
        } catch {
            throw ShimError("write exec process spec", error)
        }
        defer { FileSystem.remove(processFile) }
        let io = try ProcessIO.prepare(
            exec.stdio, processID: exec.id, namespace: configuration.namespace, watcher: watcher, loop: loop,
            logger: logger, consoleSocketPath: nextConsoleSocketPath())
        let pid: Int32
        do throws(ShimError) {
            do {
                try container.executor.exec(
                    id: container.id, processFile: processFile, pidFile: pidFile, consoleSocket: io.consoleSocketPath,
                    stdio: io.executorStdio, internalPIDFile: internalPIDFile)
            } catch {
                throw ShimError("", error)
            }
            pid = try Self.readPIDFile(pidFile)
            if let internalPIDFile { exec.internalPID = try Self.readPIDFile(internalPIDFile) }
            try io.startCopying()
        } catch {
            io.close()
            throw error
        }
        exec.io = io
        exec.state = .running(pid: pid)
        var event = Containerd_Events_TaskExecStarted()
        event.containerID = container.id
        event.execID = exec.id
        event.pid = UInt32(bitPattern: pid)
        publisher.publish(event)
        response.pid = UInt32(bitPattern: pid)
        return response
    }

    /// Exec: records an exec process; it runs at Start.
    func exec(_ request: Containerd_Task_V2_ExecProcessRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        guard !request.execID.isEmpty else { throw .invalid("exec id must not be empty") }
        try validateIdentifier(request.execID, "exec id")
        guard container.execs[request.execID] == nil else {
            throw ShimError(code: .alreadyExists, message: "id \(request.execID): already exists")
        }
        switch container.initProcess.state {
        case .running, .created: break
        case .paused: throw .precondition("cannot exec in a paused state")
        case .exiting, .stopped: throw .precondition("cannot exec in a stopped state")
        }
        guard request.hasSpec else { throw .invalid("exec \(request.execID): no process spec") }
        let exec = ExecProcess(
            id: request.execID,
            stdio: StdioRequest(
                stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal),
            spec: Array(request.spec.value))
        container.execs[exec.id] = exec
        var event = Containerd_Events_TaskExecAdded()
        event.containerID = container.id
        event.execID = exec.id
        publisher.publish(event)
        return Google_Protobuf_Empty()
    }
}
