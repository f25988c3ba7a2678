import BerthAPI
import BerthErrors
import BerthMetadata
import BerthRuntime
import BerthShimProto
import BerthSnapshots
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

/// Removes containers labelled ``label`` once their init process exits
/// (Berth extension; `berth run -d --rm`): the task, the container, its
/// snapshot and its log files, as `ctr run --rm` does from the client.
///
/// The daemon does it, not the client, so a detached container is removed
/// even when nobody is waiting for it, and after a daemon restart
/// (``sweep()`` removes the labelled containers that stopped while it was
/// down).
struct AutoRemover: Sendable {
    /// The container label that asks for removal on exit ("true").
    static let label = "io.berth.auto-remove"
    /// Set once removal has begun: a labelled container without a task is
    /// then one whose removal was interrupted, not one never started.
    static let removingLabel = "io.berth.auto-remove.removing"
    /// The CLI's log directory label; only its log files are removed.
    static let logDirectoryLabel = "io.berth.log-dir"

    let containers: ContainerStore
    let namespaces: NamespaceStore
    let tasks: TaskManager
    let snapshotters: [String: LocalSnapshotter]
    let exchange: EventExchange
    let logger: Logger

    /// Subscribes to exits now (so none is missed between the sweep and
    /// the first event), then consumes them until the exchange shuts down.
    /// If it falls so far behind that the exchange ends its stream, it
    /// resumes after the last event it saw.
    func start() -> Task<Void, Never> {
        let first = exchange.subscribe()
        let exchange = self.exchange
        return Task {
            var events = first
            var last = exchange.lastSequence
            while true {
                for await envelope in events {
                    last = envelope.berthSequence ?? last
                    guard let exit = EventGate.initExit(topic: envelope.topic, event: envelope.event) else { continue }
                    await removeIfLabelled(namespace: envelope.namespace, id: exit.containerID)
                }
                guard !exchange.isShutDown, !Task.isCancelled else { return }
                logger.warning("auto-remove fell behind the events; resuming", metadata: ["after": "\(last)"])
                events = exchange.subscribe(since: last)
            }
        }
    }

    /// Removes the labelled containers whose task is stopped, and those
    /// whose removal began but did not finish (no task left). A labelled
    /// container that never had a task (`create --rm`, not started) stays.
    /// Runs at start-up, after recovery and before serving.
    func sweep() async {
        let names: [String]
        do {
            names = try namespaces.list().map(\.name)
        } catch {
            logger.warning("auto-remove sweep: cannot list namespaces: \(error)")
            return
        }
        for namespace in names {
            let labelled = (try? containers.list(namespace: namespace).filter { $0.labels[Self.label] == "true" }) ?? []
            for container in labelled {
                let key = TaskKey(namespace: namespace, id: container.id)
                guard let entry = await tasks.entry(key) else {
                    if container.labels[Self.removingLabel] == "true" {
                        await removeIfLabelled(namespace: namespace, id: container.id)
                    }
                    continue
                }
                if await Self.isStopped(entry, id: container.id) {
                    await removeIfLabelled(namespace: namespace, id: container.id)
                }
            }
        }
    }

    private static func isStopped(_ entry: TaskEntry, id: String) async -> Bool {
        guard let process = try? await TasksService.process(entry, id: id, execID: "") else { return false }
        return process.status == .stopped
    }

    /// Deletes the task, the snapshot, the container and its log files of
    /// a labelled container. Each step tolerates a client doing the same.
    func removeIfLabelled(namespace: String, id: String) async {
        guard let container = try? containers.get(namespace: namespace, id: id),
            container.labels[Self.label] == "true"
        else { return }
        let key = TaskKey(namespace: namespace, id: id)
        let metadata: Logger.Metadata = ["namespace": "\(namespace)", "container.id": "\(id)"]
        if container.labels[Self.removingLabel] != "true" {
            var marked = container
            marked.labels[Self.removingLabel] = "true"
            _ = try? containers.update(namespace: namespace, marked, fieldPaths: ["labels.\(Self.removingLabel)"])
        }
        do {
            if await tasks.entry(key) != nil {
                _ = try await tasks.delete(key)
            }
        } catch  where error.code == .notFound {
        } catch {
            logger.warning("auto-remove: task delete failed: \(error)", metadata: metadata)
            return
        }
        if let snapshotter = snapshotters[container.snapshotter], !container.snapshotKey.isEmpty {
            do {
                try snapshotter.removeSnapshot(namespace: namespace, key: container.snapshotKey)
                var event = Containerd_Events_SnapshotRemove()
                event.key = container.snapshotKey
                exchange.publishQuietly(namespace: namespace, topic: "/snapshot/remove", event: event)
            } catch {
                logger.warning("auto-remove: snapshot remove failed: \(error)", metadata: metadata)
            }
        }
        do {
            try containers.delete(namespace: namespace, id: id)
        } catch {
            // Already deleted by a client.
            return
        }
        var event = Containerd_Events_ContainerDelete()
        event.id = id
        exchange.publishQuietly(namespace: namespace, topic: "/containers/delete", event: event)
        if let directory = container.labels[Self.logDirectoryLabel] { Self.removeLogs(directory) }
        logger.info("auto-removed container", metadata: metadata)
    }

    /// Removes the files the CLI and the shim keep in a log directory, then
    /// the directory if that left it empty. The path comes from a label, so
    /// nothing else in it is touched.
    static func removeLogs(_ directory: String) {
        guard directory.hasPrefix("/"), !directory.split(separator: "/").contains("..") else { return }
        for name in ["stdout.log", "stderr.log", "stdout.log.idx", "stderr.log.idx", "stdin.fifo"] {
            unlink(directory + "/" + name)
        }
        rmdir(directory)
    }
}
