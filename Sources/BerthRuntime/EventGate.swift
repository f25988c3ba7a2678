import BerthShimProto
import Logging
import SwiftProtobuf
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where every `/tasks/*` event passes before subscribers see it.
///
/// Berth's shim numbers each task's events (`berth-event-sequence`) and
/// journals them until the daemon acknowledges them. The same event can
/// therefore arrive twice: from the shim's retry queue and from the journal
/// replay after a daemon restart. The gate lets each sequence number through
/// once, in order, and remembers which tasks' init exits went out, so the
/// daemon never invents a second exit for a task whose shim died.
///
/// It is synchronous (a mutex) so that the ttrpc endpoint publishes events
/// in the order each shim sent them.
public final class EventGate: Sendable {
    /// A shim's envelope, as Forward carries it.
    public typealias Envelope = Containerd_Services_Events_Ttrpc_V1_Envelope

    private struct State {
        var delivered: [TaskKey: UInt64] = [:]
        var exited: Set<TaskKey> = []
        /// When each task id was last (re)created: a late event of the
        /// previous task with that id is older, and must not move the new
        /// task's sequence.
        var createdAt: [TaskKey: Google_Protobuf_Timestamp] = [:]
        /// The previous task's last delivered sequence, per id.
        var previous: [TaskKey: UInt64] = [:]
    }

    private let state = Mutex(State())
    private let publish: @Sendable (Envelope) -> Void
    private let delivered: @Sendable (TaskKey, UInt64) -> Void
    private let logger: Logger
    /// What earlier daemons published (from the event log).
    private let prior: PriorEvents

    /// A gate that hands envelopes to `publish` and reports each delivered
    /// sequence to `delivered` (which acknowledges it to the shim).
    /// `prior` holds what earlier daemons published: a shim's replay of one
    /// of those events is acknowledged but not published again.
    public init(
        logger: Logger,
        prior: PriorEvents = PriorEvents(),
        publish: @escaping @Sendable (Envelope) -> Void,
        delivered: @escaping @Sendable (TaskKey, UInt64) -> Void = { _, _ in }
    ) {
        self.logger = logger
        self.prior = prior
        self.publish = publish
        self.delivered = delivered
    }

    /// Passes an envelope from a shim. `taskID` and `sequence` come from
    /// Berth's ttrpc metadata (nil from other shims). Returns whether it was
    /// published (false for a duplicate).
    @discardableResult
    public func forward(_ envelope: Envelope, taskID: String?, sequence: UInt64?) -> Bool {
        let exitKey = Self.initExit(envelope)
        let published = prior.contains(envelope)
        guard let taskID, let sequence else {
            if let exitKey { _ = state.withLock { $0.exited.insert(exitKey) } }
            if !published { publish(envelope) }
            return !published
        }
        let key = TaskKey(namespace: envelope.namespace, id: taskID)
        let outcome: Outcome = state.withLock { state in
            // Publish under the lock: two connections of one task (a retry
            // and a replay) must not interleave.
            if let created = state.createdAt[key], Self.isBefore(envelope.timestamp, created) {
                // The previous task of this id, still draining: it is checked
                // against its own numbering and never acknowledged (the new
                // shim's journal is not its journal).
                guard sequence > state.previous[key, default: 0] else { return .duplicate }
                state.previous[key] = sequence
                publish(envelope)
                return .previousTask
            }
            guard sequence > state.delivered[key, default: 0] else { return .duplicate }
            state.delivered[key] = sequence
            if let exitKey { state.exited.insert(exitKey) }
            // Published by an earlier daemon, which died before it could
            // acknowledge it: acknowledge it now, without a second copy.
            guard !published else { return .publishedBefore }
            publish(envelope)
            return .published
        }
        switch outcome {
        case .published: delivered(key, sequence)
        case .publishedBefore:
            logger.debug(
                "event published by an earlier daemon", metadata: ["task": "\(key)", "sequence": "\(sequence)"])
            delivered(key, sequence)
        case .previousTask: break
        case .duplicate:
            logger.debug("duplicate event dropped", metadata: ["task": "\(key)", "sequence": "\(sequence)"])
        }
        return outcome == .published || outcome == .previousTask
    }

    private enum Outcome {
        case published, publishedBefore, previousTask, duplicate
    }

    /// Publishes an event the daemon makes itself (a dead shim's exit or
    /// delete), stamped now.
    public func publishOwn(namespace: String, event: some ContainerdEvent) {
        do {
            let envelope = try Envelope.make(event: event, namespace: namespace, timestamp: Self.now())
            if let exitKey = Self.initExit(envelope) { _ = state.withLock { $0.exited.insert(exitKey) } }
            publish(envelope)
        } catch {
            logger.warning("cannot publish \(type(of: event).topic): \(error)")
        }
    }

    /// Whether the init exit of `key` has been published since its task
    /// was created.
    public func exitPublished(_ key: TaskKey) -> Bool {
        state.withLock { $0.exited.contains(key) }
    }

    /// Whether the init exit of `key` has been published by this daemon
    /// since its task was created, or is the exit of `pid` at `exitedAt`
    /// that an earlier daemon published.
    public func exitPublished(_ key: TaskKey, pid: UInt32, exitedAt: Google_Protobuf_Timestamp) -> Bool {
        exitPublished(key)
            || prior.exits.contains(
                PriorEvents.Exit(namespace: key.namespace, containerID: key.id, pid: pid, exitedAt: exitedAt))
    }

    /// Forgets `key` (a new task with that id starts numbering at 1);
    /// events stamped before now belong to the previous task.
    public func reset(_ key: TaskKey) {
        let now = Self.now()
        state.withLock { state in
            state.previous[key] = state.delivered.removeValue(forKey: key)
            state.exited.remove(key)
            state.createdAt[key] = now
        }
    }

    static func isBefore(_ a: Google_Protobuf_Timestamp, _ b: Google_Protobuf_Timestamp) -> Bool {
        a.seconds < b.seconds || (a.seconds == b.seconds && a.nanos < b.nanos)
    }

    /// The task whose init exit `envelope` announces, if it is one.
    static func initExit(_ envelope: Envelope) -> TaskKey? {
        initExit(topic: envelope.topic, event: envelope.event).map {
            TaskKey(namespace: envelope.namespace, id: $0.containerID)
        }
    }

    /// The event on `topic`, if it is the exit of a task's init (an exec's
    /// exit has its own `id`).
    public static func initExit(topic: String, event: Google_Protobuf_Any) -> Containerd_Events_TaskExit? {
        guard topic == Containerd_Events_TaskExit.topic,
            let exit = try? Containerd_Events_TaskExit(serializedBytes: event.value),
            exit.id.isEmpty || exit.id == exit.containerID
        else { return nil }
        return exit
    }

    public static func now() -> Google_Protobuf_Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Google_Protobuf_Timestamp(seconds: Int64(spec.tv_sec), nanos: Int32(spec.tv_nsec))
    }
}
