import BerthAPI
import BerthOCI
import BerthShimProto
import Logging
import SwiftProtobuf
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's event bus: services and shims publish envelopes; every
/// subscriber gets each one, in order, and filters it itself.
///
/// The exchange ends a subscription in two cases only (ctr prints
/// `ctr: EOF` and exits 1 when a Subscribe stream ends): at ``shutdown()``,
/// and when a subscriber has left ``subscriberBuffer`` events unread. That
/// subscriber then gets every buffered event and the end of the stream,
/// never a gap: it can resume after the last number it saw
/// (`berth-events-since`).
public final class EventExchange: Sendable {
    /// One envelope as it goes out on `Events.Subscribe`.
    public typealias Envelope = Containerd_Services_Events_V1_Envelope

    fileprivate struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Envelope>.Continuation] = [:]
        /// The latest events with their sequence numbers, for subscribers
        /// that ask for history: serialized (one allocation each, decoded
        /// only for such a subscriber), each carrying its number
        /// (``Containerd_Services_Events_V1_Envelope/berthSequence``).
        var history: [(sequence: UInt64, bytes: [UInt8])] = []
        /// The serialized size of `history`.
        var historyBytes = 0
        var lastSequence: UInt64 = 0
        /// Where each event is written before anyone sees it (nil: memory only).
        var log: EventLog?
        var isShutDown = false
    }

    /// How many past events a subscriber can ask for (Berth extension:
    /// the `berth-events-since` header of Subscribe).
    public static let historyLimit = 4096
    /// The most bytes of events kept for history (events from
    /// `Events.Publish` can be large): older ones go first.
    public static let historyByteLimit = 16 << 20
    /// How many events may wait unread for one subscriber.
    public static let subscriberBuffer = historyLimit * 2

    private let state: Mutex<State>
    private let logger: Logger

    /// An exchange logging to `logger`. With a `log`, numbering and history
    /// continue from what it holds, and every event is appended to it before
    /// it is delivered.
    public init(logger: Logger, log: sending EventLog? = nil) {
        self.logger = logger
        var initial = State()
        for bytes in log?.takeLoaded().suffix(Self.historyLimit) ?? [] {
            guard let sequence = (try? Envelope(serializedBytes: bytes))?.berthSequence,
                sequence > initial.lastSequence
            else { continue }
            initial.remember(sequence, bytes)
            initial.lastSequence = sequence
        }
        initial.log = log
        state = Mutex(initial)
    }

    /// The retained events, oldest first (after a restart: those of the
    /// previous daemons that the log kept).
    public var retained: [Envelope] {
        state.withLock { $0.history.compactMap { try? Envelope(serializedBytes: $0.bytes) } }
    }

    /// Delivers `envelope` to every subscriber as it is.
    public func forward(_ envelope: Envelope) {
        logger.debug(
            "event", metadata: ["topic": "\(envelope.topic)", "namespace": "\(envelope.namespace)"])
        // Under the lock: history and live delivery keep one order.
        let behind = state.withLock { state -> [AsyncStream<Envelope>.Continuation] in
            state.lastSequence += 1
            var envelope = envelope
            if let bytes = try? envelope.serializedBytes(sequence: state.lastSequence),
                let numbered = try? Envelope(serializedBytes: bytes)
            {
                envelope = numbered
                state.log?.append(bytes)
                state.remember(state.lastSequence, bytes)
            }
            var behind: [AsyncStream<Envelope>.Continuation] = []
            for (id, subscriber) in state.subscribers {
                guard case .dropped = subscriber.yield(envelope) else { continue }
                // Too far behind: end it rather than skip events.
                state.subscribers[id] = nil
                behind.append(subscriber)
            }
            return behind
        }
        // Outside the lock: finishing runs the stream's termination handler.
        for subscriber in behind {
            logger.warning("an event subscriber left \(Self.subscriberBuffer) events unread; ending its stream")
            subscriber.finish()
        }
    }

    /// The sequence number of the latest event (0 before the first).
    public var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

    /// Stamps, packs and delivers `event` on `topic` in `namespace`.
    ///
    /// - Throws: `invalidArgument` if the event cannot be packed.
    public func publish(namespace: String, topic: String, event: some Message) throws(DaemonError) {
        var envelope = Envelope()
        envelope.timestamp = Self.now()
        envelope.namespace = namespace
        envelope.topic = topic
        do {
            envelope.event = try Google_Protobuf_Any(containerdPacking: event)
        } catch {
            throw .invalidArgument("event \(topic): \(error.message)")
        }
        forward(envelope)
    }

    /// Publishes, logging instead of failing: for services whose operation
    /// already succeeded.
    func publishQuietly(namespace: String, topic: String, event: some Message) {
        do {
            try publish(namespace: namespace, topic: topic, event: event)
        } catch {
            logger.warning("publish \(topic) failed: \(error.message)")
        }
    }

    /// A new subscription. The stream ends when the caller stops iterating
    /// (the subscription is then removed) or at ``shutdown()``.
    ///
    /// - Parameter since: also deliver the retained events with a sequence
    ///   number above this one first (0: all retained), in order, with no
    ///   gap or repeat before the live ones. A number above the last one
    ///   means all retained.
    public func subscribe(since: UInt64? = nil) -> AsyncStream<Envelope> {
        let (stream, continuation) = AsyncStream<Envelope>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.subscriberBuffer))
        let id = state.withLock { state -> Int? in
            guard !state.isShutDown else {
                continuation.finish()
                return nil
            }
            let id = state.nextID
            state.nextID += 1
            if var since {
                // A number from beyond this log's end comes from an older
                // one (a new state directory, e.g. after a reboot): the
                // whole retained history is new to that subscriber.
                if since > state.lastSequence { since = 0 }
                for past in state.history where past.sequence > since {
                    if let envelope = try? Envelope(serializedBytes: past.bytes) { continuation.yield(envelope) }
                }
            }
            state.subscribers[id] = continuation
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    /// Whether ``shutdown()`` was called: subscriptions then end at once.
    public var isShutDown: Bool { state.withLock { $0.isShutDown } }

    /// The number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscription (daemon shutdown).
    public func shutdown() {
        let subscribers = state.withLock { state in
            state.isShutDown = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// The current time as a protobuf timestamp.
    public static func now() -> Google_Protobuf_Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Google_Protobuf_Timestamp(seconds: Int64(spec.tv_sec), nanos: Int32(spec.tv_nsec))
    }

    /// Checks an envelope as containerd's exchange does before forwarding:
    /// a valid namespace, a topic of identifiers after slashes, a timestamp.
    ///
    /// - Throws: `invalidArgument` naming what is wrong.
    public static func validate(_ envelope: Envelope) throws(DaemonError) {
        guard Identifier.isValid(envelope.namespace) else {
            throw .invalidArgument("envelope namespace \(envelope.namespace): invalid identifier")
        }
        try validate(topic: envelope.topic)
        guard envelope.hasTimestamp, envelope.timestamp.seconds != 0 || envelope.timestamp.nanos != 0 else {
            throw .invalidArgument("envelope timestamp must be set")
        }
        guard envelope.hasEvent else { throw .invalidArgument("envelope event must be set") }
    }

    /// Checks a topic: `/` followed by `/`-separated identifiers.
    public static func validate(topic: String) throws(DaemonError) {
        guard topic.hasPrefix("/"), topic.count > 1 else {
            throw .invalidArgument("must start with '/': topic \(topic)")
        }
        for component in topic.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard Identifier.isValid(String(component)) else {
                throw .invalidArgument("invalid topic component \(component): topic \(topic)")
            }
        }
    }
}

extension EventExchange.State {
    /// Adds an event to the history, dropping the oldest beyond the limits
    /// (the newest always stays).
    mutating func remember(_ sequence: UInt64, _ serialized: [UInt8]) {
        history.append((sequence, serialized))
        historyBytes += serialized.count
        var drop = max(0, history.count - EventExchange.historyLimit)
        var bytes = historyBytes
        for index in 0..<drop { bytes -= history[index].bytes.count }
        while bytes > EventExchange.historyByteLimit, drop < history.count - 1 {
            bytes -= history[drop].bytes.count
            drop += 1
        }
        if drop > 0 {
            history.removeFirst(drop)
            historyBytes = bytes
        }
    }
}
