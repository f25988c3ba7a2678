import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

extension TaskService {
    /// How long output may stay idle after an exit before the shim stops
    /// waiting for its end of file.
    static let drainIdleMilliseconds: Int64 = 2000

    /// Handles one reaped child. Delivered by the reaper one loop turn after
    /// the reap, so a Start that was running the executor has already
    /// queued its start event.
    public func handleExit(pid: Int32, status: WaitStatus) {
        guard let container else { return }
        let exit = ExitStatus(status: UInt32(bitPattern: status.exitCode), exitedAt: .now())
        let process = container.initProcess
        switch process.state {
        case .created(let initPID) where initPID == pid, .running(let initPID) where initPID == pid:
            initExited(container, pid: pid, exit: exit)
            return
        case .paused(let initPID) where initPID == pid:
            // A frozen cgroup would keep the other processes stuck: thaw it.
            try? container.executor.resume(id: container.id)
            initExited(container, pid: pid, exit: exit)
            return
        default:
            break
        }
        if let exec = container.execs.values.first(where: { $0.state == .running(pid: pid) }) {
            logger.debug("exec exited", metadata: ["exec.id": "\(exec.id)", "status": "\(exit.status)"])
            exec.state = .exiting(pid: pid, exit: exit)
            let finish = { [unowned self, unowned exec] in self.finishExec(container, exec) }
            if let io = exec.io {
                io.whenDrained(idleMilliseconds: Self.drainIdleMilliseconds, finish)
            } else {
                finish()
            }
        }
    }

    private func initExited(_ container: Container, pid: Int32, exit: ExitStatus) {
        logger.info("task exited", metadata: ["container.id": "\(container.id)", "status": "\(exit.status)"])
        container.initProcess.state = .exiting(pid: pid, exit: exit)
        if container.sharesHostPIDNamespace {
            // No pid namespace to take the rest down with the init.
            try? container.executor.kill(id: container.id, signal: 9, all: true)
        }
        container.initProcess.io.whenDrained(idleMilliseconds: Self.drainIdleMilliseconds) { [unowned self] in
            self.finishInitIfReady(container)
        }
    }

    private func finishExec(_ container: Container, _ exec: ExecProcess) {
        guard case .exiting(let pid, let exit) = exec.state else { return }
        exec.state = .stopped(pid: pid, exit: exit)
        var event = Containerd_Events_TaskExit()
        event.containerID = container.id
        event.id = exec.id
        event.pid = UInt32(bitPattern: pid)
        event.exitStatus = exit.status
        event.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
        publisher.publish(event)
        exec.io?.close()
        let waiters = exec.waiters
        exec.waiters.removeAll()
        for waiter in waiters { waiter.succeed(Self.waitResponse(exit)) }
        finishInitIfReady(container)
    }

    /// Announces the init's exit once its output is drained and every exec
    /// exit has been published: exit.json first (durable), then the event,
    /// then the waiters.
    private func finishInitIfReady(_ container: Container) {
        let process = container.initProcess
        guard self.container === container, case .exiting(let pid, let exit) = process.state,
            process.io.isDrained, !container.hasLiveExecs
        else { return }
        do {
            try ExitRecord.write(bundle: container.bundle, pid: pid, exit: exit)
        } catch {
            logger.error("cannot record the exit status", metadata: ["error": "\(error)"])
        }
        process.state = .stopped(pid: pid, exit: exit)
        var event = Containerd_Events_TaskExit()
        event.containerID = container.id
        event.id = container.id
        event.pid = UInt32(bitPattern: pid)
        event.exitStatus = exit.status
        event.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
        publisher.publish(event)
        process.io.close()
        let waiters = process.waiters
        process.waiters.removeAll()
        for waiter in waiters { waiter.succeed(Self.waitResponse(exit)) }
    }
}
