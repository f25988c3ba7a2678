import BerthShimProto
import Foundation
import Logging
import SwiftProtobuf

extension TaskManager {
    /// Start-up: loads every bundle left by the previous daemon.
    ///
    /// - A bundle marked `.creating` is rolled back, one marked `.deleting`
    ///   rolled forward; both end with the task removed.
    /// - Otherwise the shim is dialled through `address` and checked with
    ///   Connect. A live Berth shim replays the events it journaled and the
    ///   daemon never acknowledged.
    /// - A dead shim is buried: its journal is replayed from the file, its
    ///   exit published (stored status, or 137 marked unknown), its bundle
    ///   removed; the task stays visible as stopped until deleted.
    ///
    /// Returns the number of tasks loaded (live or dead).
    @discardableResult
    public func recover() async -> Int {
        var loaded = 0
        for namespace in Self.directories(in: layout.bundles) {
            let directory = layout.bundles + "/" + namespace
            for id in Self.directories(in: directory, includeHidden: true) {
                if id.hasPrefix(".") {
                    // A removal that was interrupted after the rename.
                    try? FileManager.default.removeItem(atPath: directory + "/" + id)
                    continue
                }
                let bundle = TaskBundle(layout: layout, namespace: namespace, id: id)
                if await load(bundle) { loaded += 1 }
            }
        }
        removeOrphanWorkDirectories()
        return loaded
    }

    private func load(_ bundle: TaskBundle) async -> Bool {
        let key = TaskKey(namespace: bundle.namespace, id: bundle.id)
        var logger = self.logger
        logger[metadataKey: "task"] = "\(key)"
        if let dead = DeadTask(bundle: bundle) {
            entries[key] = .dead(dead)
            // A daemon that died between recording the exit and publishing it.
            if DeadTask.exitOwed(bundle: bundle), !gate.exitPublished(key, pid: dead.pid, exitedAt: dead.exitedAt) {
                publishExit(dead, bundle: bundle)
            }
            return true
        }
        let binary = bundle.shimBinary()
        let isBerth = binary.map { ShimResolver.isBerth($0, berthShim: resolver.berthShim) } ?? false
        let connection = await connect(bundle, key: key)
        let shim = connection.map { ShimClient(connection: $0, namespace: bundle.namespace) }

        if bundle.isMarked(.creating) || bundle.isMarked(.deleting) {
            let rollBack = bundle.isMarked(.creating)
            logger.info(rollBack ? "rolling back an interrupted create" : "finishing an interrupted delete")
            if let shim { await Self.forceDelete(shim, id: bundle.id) }
            if let binary {
                _ = try? await launcher.delete(binary: binary, bundle: bundle)
            }
            bundle.remove()
            return false
        }
        guard let binary else {
            logger.warning("bundle without a shim binary; removing it")
            bundle.remove()
            return false
        }
        let log = (try? bundle.openLog()).map { fd in fd }
        let shimLog: ShimLog? =
            if let log { await ShimLog.start(descriptor: log, bundle: bundle, logger: self.logger) } else { nil }
        if let shim, let connected = try? await shim.connect(id: bundle.id) {
            let task = ShimTask(
                bundle: bundle, shim: shim, binary: binary, isBerthShim: isBerth, pid: connected.taskPid, log: shimLog)
            entries[key] = .live(task)
            if isBerth { await replayJournal(task) }
            logger.info("reconnected to shim", metadata: ["pid": "\(connected.shimPid)"])
            return true
        }
        shim?.connection.close()
        let dead = await bury(bundle: bundle, binary: binary, isBerthShim: isBerth, pid: Self.initPID(bundle))
        shimLog?.close()
        entries[key] = .dead(dead)
        return true
    }

    /// Ends a task whatever its state: SIGKILL to all its processes, wait
    /// for the init (10 s at most), Delete, Shutdown.
    static func forceDelete(_ shim: ShimClient, id: String) async {
        var kill = Containerd_Task_V2_KillRequest()
        kill.id = id
        kill.signal = 9
        kill.all = true
        _ = try? await shim.call(.kill, kill, as: Google_Protobuf_Empty.self)
        var wait = Containerd_Task_V2_WaitRequest()
        wait.id = id
        _ = try? await shim.call(.wait, wait, as: Containerd_Task_V2_WaitResponse.self, timeoutMilliseconds: 10_000)
        var delete = Containerd_Task_V2_DeleteRequest()
        delete.id = id
        _ = try? await shim.call(.delete, delete, as: Containerd_Task_V2_DeleteResponse.self)
        await shim.shutdown(id: id)
        shim.connection.close()
    }

    private func connect(_ bundle: TaskBundle, key: TaskKey) async -> ShimConnection? {
        guard let address = bundle.address() else { return nil }
        return try? await ShimConnection.connect(address: address) { [weak self] in
            guard let self else { return }
            Task { await self.connectionClosed(key, path: ShimConnection.socketPath(address)) }
        }
    }

    /// Delivers the events a live Berth shim journaled and the daemon did
    /// not acknowledge, oldest first. (The journal is bounded; when it
    /// overflows the oldest events go, never the latest exit.)
    func replayJournal(_ task: ShimTask) async {
        var after: UInt64 = 0
        while true {
            var request = Berth_Shim_V1_ReplayRequest()
            request.id = task.id
            request.afterSequence = after
            guard let page = try? await task.shim.call(.replay, request, as: Berth_Shim_V1_ReplayResponse.self)
            else { return }
            for event in page.events {
                gate.forward(event.envelope, taskID: task.id, sequence: event.sequence)
                after = event.sequence
            }
            if page.events.isEmpty || after >= page.lastSequence { return }
        }
    }

    /// Replays a dead Berth shim's journal file.
    func replayJournalFile(_ bundle: TaskBundle) {
        for event in JournalFile.events(bundle: bundle) {
            gate.forward(event.envelope, taskID: bundle.id, sequence: event.sequence)
        }
    }

    private func removeOrphanWorkDirectories() {
        for namespace in Self.directories(in: layout.work) {
            for id in Self.directories(in: layout.work + "/" + namespace)
            where entries[TaskKey(namespace: namespace, id: id)] == nil {
                try? FileManager.default.removeItem(atPath: layout.work + "/" + namespace + "/" + id)
            }
        }
    }

    static func directories(in path: String, includeHidden: Bool = false) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return (includeHidden || !name.hasPrefix("."))
                && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    static func initPID(_ bundle: TaskBundle) -> UInt32 {
        guard let data = FileManager.default.contents(atPath: bundle.path + "/init.pid"),
            let text = String(data: data, encoding: .utf8)
        else { return 0 }
        return UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
