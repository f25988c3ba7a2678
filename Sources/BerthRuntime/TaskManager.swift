import BerthShimProto
import Logging
import SwiftProtobuf

/// The daemon's runtime v2 task manager: it makes bundles, starts shims by
/// runtime name, keeps one connection per shim, and reconnects to the shims
/// that outlived a daemon restart.
///
/// Shim calls happen outside the actor's critical sections (each `await`
/// releases it), so tasks are created and deleted concurrently; the entry
/// states keep two operations on one task apart.
public actor TaskManager {
    let layout: RuntimeLayout
    let launcher: ShimLauncher
    let resolver: ShimResolver
    /// Events of shims and of the manager go through here.
    public nonisolated let gate: EventGate
    let logger: Logger
    var entries: [TaskKey: TaskEntry] = [:]
    var cleanups: [TaskKey: Task<DeadTask, Never>] = [:]

    /// A manager over `layout`, starting shims with `launcher` and
    /// publishing through `publish`. `prior` holds the task events that
    /// earlier daemons published (see ``PriorEvents``).
    public init(
        layout: RuntimeLayout,
        launcher: ShimLauncher,
        resolver: ShimResolver,
        logger: Logger,
        prior: PriorEvents = PriorEvents(),
        publish: @escaping @Sendable (EventGate.Envelope) -> Void
    ) {
        self.layout = layout
        self.launcher = launcher
        self.resolver = resolver
        self.logger = logger
        let acknowledger = Acknowledger()
        self.gate = EventGate(logger: logger, prior: prior, publish: publish) { key, sequence in
            acknowledger.acknowledge(key, sequence)
        }
        acknowledger.manager = self
    }

    /// The entry of a task, if it exists (a creating task does not).
    public func entry(_ key: TaskKey) -> TaskEntry? {
        switch entries[key] {
        case .creating, nil: nil
        case let entry?: entry
        }
    }

    /// The live task `key`.
    ///
    /// - Throws: `notFound` "task ID not found" if there is none;
    ///   `failedPrecondition` if its shim is gone.
    public func live(_ key: TaskKey) throws(RuntimeError) -> ShimTask {
        switch entries[key] {
        case .live(let task), .deleting(let task): return task
        case .dead: throw .failedPrecondition("task \(key.id): shim is gone; the task is stopped")
        case .creating, nil: throw .notFound("task \(key.id) not found")
        }
    }

    /// The visible tasks of `namespace`, by id.
    public func list(namespace: String) -> [(id: String, entry: TaskEntry)] {
        entries.compactMap { key, entry in
            guard key.namespace == namespace else { return nil }
            if case .creating = entry { return nil }
            return (key.id, entry)
        }.sorted { $0.id < $1.id }
    }

    /// Every visible task (for metrics filters across namespaces).
    public func all() -> [(key: TaskKey, entry: TaskEntry)] {
        entries.compactMap { key, entry in
            if case .creating = entry { return nil }
            return (key, entry)
        }
    }

    /// Acknowledges delivered events to a Berth shim so it can trim its
    /// journal. Failures are harmless: unacknowledged events are replayed
    /// and dropped as duplicates.
    func acknowledge(_ key: TaskKey, _ sequence: UInt64) async {
        guard case .live(let task) = entries[key], task.isBerthShim else { return }
        var request = Berth_Shim_V1_AckRequest()
        request.id = key.id
        request.sequence = sequence
        _ = try? await task.shim.call(.ack, request, as: Google_Protobuf_Empty.self)
    }
}

/// Breaks the init cycle between the manager and its gate.
final class Acknowledger: @unchecked Sendable {
    // Set once in TaskManager.init before any event can flow.
    weak var manager: TaskManager?

    func acknowledge(_ key: TaskKey, _ sequence: UInt64) {
        guard let manager else { return }
        Task { await manager.acknowledge(key, sequence) }
    }
}
