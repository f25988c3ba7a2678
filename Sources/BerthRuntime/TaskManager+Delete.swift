import BerthErrors
import BerthShimProto
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

extension TaskManager {
    /// Deletes the init process and the task: shim Delete, Shutdown, bundle
    /// removal. Afterwards the task is gone (Get answers NotFound). A dead
    /// task is removed with its recorded exit and a `/tasks/delete` event.
    ///
    /// - Throws: `notFound` for no task; the shim's error (for example
    ///   `failedPrecondition` for a running process), leaving the task as
    ///   it was.
    public func delete(_ key: TaskKey) async throws(RuntimeError) -> Containerd_Task_V2_DeleteResponse {
        try await deleteTimed(key).response
    }

    /// ``delete(_:)``, with the durations of its phases (µs): the shim's
    /// Delete (and, for a Berth shim, the executor's delete within it), then
    /// shim shutdown and bundle removal (`finish`). Empty for a dead task.
    public func deleteTimed(_ key: TaskKey) async throws(RuntimeError) -> (
        response: Containerd_Task_V2_DeleteResponse, phases: [(name: String, microseconds: Int64)]
    ) {
        switch entries[key] {
        case .creating, nil:
            throw .notFound("task \(key.id) not found")
        case .deleting:
            throw .failedPrecondition("task \(key.id): delete in progress")
        case .dead(let dead):
            entries[key] = nil
            TaskBundle(layout: layout, namespace: key.namespace, id: key.id).remove()
            var event = Containerd_Events_TaskDelete()
            event.containerID = key.id
            event.id = key.id
            event.pid = dead.pid
            event.exitStatus = dead.exitStatus
            event.exitedAt = dead.exitedAt
            gate.publishOwn(namespace: key.namespace, event: event)
            return (dead.deleteResponse, [])
        case .live(let task):
            entries[key] = .deleting(task)
            do {
                var clock = PhaseClock()
                try task.bundle.mark(.deleting)
                var request = Containerd_Task_V2_DeleteRequest()
                request.id = key.id
                let response: Containerd_Task_V2_DeleteResponse = try await task.shim.call(.delete, request)
                clock.mark("shim_delete")
                let executor = task.bundle.executorPhases().filter { $0.name == "executor_delete" }.suffix(1)
                entries[key] = nil
                await finish(task)
                clock.mark("finish")
                return (response, clock.phases + executor)
            } catch {
                task.bundle.clear(.deleting)
                if error.code == .unavailable || !task.shim.connection.isActive {
                    entries[key] = .live(task)
                    if await shimDied(key) != nil { return try await deleteTimed(key) }
                }
                if case .deleting = entries[key] { entries[key] = .live(task) }
                throw error
            }
        }
    }

    /// After the shim deleted its task: Shutdown, close, remove the bundle.
    func finish(_ task: ShimTask) async {
        await task.shim.shutdown(id: task.id)
        task.shim.connection.close()
        task.log?.close()
        task.bundle.remove()
    }

    /// Waits for the init (`execID` empty) or an exec to exit. Works before
    /// Start. If the shim dies meanwhile, the init's recorded exit answers.
    public func wait(_ key: TaskKey, execID: String) async throws(RuntimeError) -> Containerd_Task_V2_WaitResponse {
        switch entries[key] {
        case .creating, nil:
            throw .notFound("task \(key.id) not found")
        case .dead(let dead):
            guard execID.isEmpty else { throw .notFound("process \(execID) not found") }
            return dead.waitResponse
        case .live(let task), .deleting(let task):
            var request = Containerd_Task_V2_WaitRequest()
            request.id = key.id
            request.execID = execID
            do {
                return try await task.shim.call(.wait, request, timeoutMilliseconds: 0)
            } catch {
                guard error.code == .unavailable, execID.isEmpty, let dead = await shimDied(key) else { throw error }
                return dead.waitResponse
            }
        }
    }

    /// A shim connection closed. If it belongs to a live task (not one
    /// being deleted), the shim died: clean up after it.
    func connectionClosed(_ key: TaskKey, path: String) async {
        guard case .live(let task) = entries[key], task.shim.connection.path == path else { return }
        _ = await shimDied(key)
    }

    /// Cleans up after the dead shim of `key` once, however many callers
    /// notice: shim `delete`, the exit it reports (published unless the
    /// shim published it), bundle removal. The task stays as ``DeadTask``.
    func shimDied(_ key: TaskKey) async -> DeadTask? {
        if case .dead(let dead) = entries[key] { return dead }
        if let running = cleanups[key] { return await running.value }
        guard case .live(let task) = entries[key] else { return nil }
        let cleanup = Task { await self.buryShim(task) }
        cleanups[key] = cleanup
        let dead = await cleanup.value
        cleanups[key] = nil
        if case .live = entries[key] { entries[key] = .dead(dead) }
        return dead
    }

    /// The clean-up itself (also used for shims found dead at start-up).
    func buryShim(_ task: ShimTask) async -> DeadTask {
        let key = TaskKey(namespace: task.bundle.namespace, id: task.id)
        logger.warning("shim disconnected; cleaning up", metadata: ["task": "\(key)"])
        task.shim.connection.close()
        let dead = await bury(bundle: task.bundle, binary: task.binary, isBerthShim: task.isBerthShim, pid: task.pid)
        task.log?.close()
        return dead
    }

    /// Replays what a dead Berth shim journaled, runs the shim's `delete`
    /// action, publishes the exit if nobody did, and removes the bundle.
    func bury(bundle: TaskBundle, binary: String, isBerthShim: Bool, pid: UInt32) async -> DeadTask {
        let key = TaskKey(namespace: bundle.namespace, id: bundle.id)
        if isBerthShim { replayJournalFile(bundle) }
        let stored = StoredExit.read(bundle: bundle)
        var response: Containerd_Task_V2_DeleteResponse?
        do {
            response = try await launcher.delete(binary: binary, bundle: bundle)
        } catch {
            logger.warning("shim delete failed: \(error.message)", metadata: ["task": "\(key)"])
        }
        let exit = stored ?? response
        let dead = DeadTask(
            id: bundle.id, pid: exit?.pid ?? pid, exitStatus: exit?.exitStatus ?? 137,
            exitedAt: exit?.hasExitedAt == true ? (exit?.exitedAt ?? EventGate.now()) : EventGate.now(),
            exitKnown: stored != nil)
        if !dead.exitKnown {
            logger.warning(
                "no exit status was stored; reporting 137 (exit status unknown)", metadata: ["task": "\(key)"])
        }
        let owed = !gate.exitPublished(key, pid: dead.pid, exitedAt: dead.exitedAt)
        // containerd leaves a dead shim's socket behind; Berth removes it.
        if let address = bundle.address() {
            unlink(ShimConnection.socketPath(address))
            unlink(bundle.path + "/address")
        }
        // The bundle stays, reduced to the record of the exit, until
        // Tasks.Delete: a restarted daemon still reports the task stopped.
        // The record comes first and says whether the exit is the daemon's
        // to publish: a daemon killed in between publishes it at its start
        // (once: the exit's identity is then in the event log).
        do {
            try dead.save(in: bundle, exitOwed: owed)
        } catch {
            logger.warning("cannot record the dead task: \(error.message)", metadata: ["task": "\(key)"])
            bundle.remove()
        }
        if owed { publishExit(dead, bundle: bundle) }
        return dead
    }

    /// Publishes the init exit of a task whose shim died without
    /// publishing it, then clears the debt in its record (the event log
    /// keeps the exit only so long).
    func publishExit(_ dead: DeadTask, bundle: TaskBundle) {
        defer { try? dead.save(in: bundle, exitOwed: false) }
        let namespace = bundle.namespace
        var event = Containerd_Events_TaskExit()
        event.containerID = dead.id
        event.id = dead.id
        event.pid = dead.pid
        event.exitStatus = dead.exitStatus
        event.exitedAt = dead.exitedAt
        gate.publishOwn(namespace: namespace, event: event)
    }
}

extension DeadTask {
    var deleteResponse: Containerd_Task_V2_DeleteResponse {
        var response = Containerd_Task_V2_DeleteResponse()
        response.pid = pid
        response.exitStatus = exitStatus
        response.exitedAt = exitedAt
        return response
    }

    var waitResponse: Containerd_Task_V2_WaitResponse {
        var response = Containerd_Task_V2_WaitResponse()
        response.exitStatus = exitStatus
        response.exitedAt = exitedAt
        return response
    }
}
