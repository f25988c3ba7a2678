import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

extension TaskService {
    /// Delete: an exec that has exited (or never started), or the container
    /// once its init has stopped (or was never started).
    func delete(_ request: Containerd_Task_V2_DeleteRequest) throws(ShimError) -> any Message {
        let container = try container(request.id)
        var response = Containerd_Task_V2_DeleteResponse()
        if !request.execID.isEmpty {
            let exec = try exec(container, request.execID)
            guard !exec.state.isLive else { throw .precondition("cannot delete a running process") }
            exec.io?.close()
            container.execs.removeValue(forKey: exec.id)
            FileSystem.remove(FileSystem.join(container.bundle, "\(exec.id).pid"))
            scheduleMemoryTrim()
            response.pid = UInt32(bitPattern: exec.state.pid)
            if let exit = exec.state.exit {
                response.exitStatus = exit.status
                response.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
            }
            return response
        }

        let process = container.initProcess
        switch process.state {
        case .created, .stopped: break
        case .running, .exiting: throw .precondition("cannot delete a running process")
        case .paused: throw .precondition("cannot delete a paused process")
        }
        let timing = ExecutorTiming()
        do {
            try container.executor.delete(id: container.id, force: process.state.exit == nil)
        } catch {
            throw ShimError("failed to delete task", error)
        }
        timing.record("executor_delete", bundle: container.bundle)
        process.io.close()
        for exec in container.execs.values { exec.io?.close() }
        container.oomWatch?.stop()
        unmountRootfs(container.rootfs)
        self.container = nil
        for waiter in process.waiters {
            waiter.fail(.init(code: .notFound, message: "container deleted"))
        }
        process.waiters.removeAll()
        logger.info("deleted task", metadata: ["container.id": "\(container.id)"])
        scheduleMemoryTrim()

        response.pid = UInt32(bitPattern: process.state.pid)
        var event = Containerd_Events_TaskDelete()
        event.containerID = container.id
        event.pid = response.pid
        if let exit = process.state.exit {
            response.exitStatus = exit.status
            response.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
            event.exitStatus = exit.status
            event.exitedAt = response.exitedAt
        }
        publisher.publish(event)
        return response
    }
}
