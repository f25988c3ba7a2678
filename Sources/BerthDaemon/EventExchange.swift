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
/// Subscribers are never ended by the exchange (ctr prints `ctr: EOF` and
/// exits 1 when a Subscribe stream ends): only ``shutdown()`` or the
/// subscriber going away ends a stream.
public final class EventExchange: Sendable {
    /// One envelope as it goes out on `Events.Subscribe`.
    public typealias Envelope = Containerd_Services_Events_V1_Envelope

    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Envelope>.Continuation] = [:]
        /// The latest events with their sequence numbers (1, 2, … since
        /// the daemon started), for subscribers that ask for history.
        var history: [(sequence: UInt64, envelope: Envelope)] = []
        var lastSequence: UInt64 = 0
    }

    /// How many past events a subscriber can ask for (Berth extension:
    /// the `berth-events-since` header of Subscribe).
    public static let historyLimit = 4096

    private let state = Mutex(State())
    private let logger: Logger

    /// An exchange logging to `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Delivers `envelope` to every subscriber as it is.
    public func forward(_ envelope: Envelope) {
        logger.debug(
            "event", metadata: ["topic": "\(envelope.topic)", "namespace": "\(envelope.namespace)"])
        // Under the lock: history and live delivery keep one order.
        state.withLock { state in
            state.lastSequence += 1
            state.history.append((state.lastSequence, envelope))
            if state.history.count > Self.historyLimit {
                state.history.removeFirst(state.history.count - Self.historyLimit)
            }
            for subscriber in state.subscribers.values { subscriber.yield(envelope) }
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
    ///   gap or repeat before the live ones.
    public func subscribe(since: UInt64? = nil) -> AsyncStream<Envelope> {
        let (stream, continuation) = AsyncStream<Envelope>.makeStream(
            bufferingPolicy: .bufferingNewest(Self.historyLimit * 2))
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            if let since {
                for past in state.history where past.sequence > since { continuation.yield(past.envelope) }
            }
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscription (daemon shutdown).
    public func shutdown() {
        let subscribers = state.withLock { state in
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
