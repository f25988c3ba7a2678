import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Sends a task's events to the daemon, in order, through ttrpc
/// `Events/Forward` on `TTRPC_ADDRESS`.
///
/// Each event gets the task's next sequence number and is journaled
/// (``EventJournal``) before it is queued. One event is in flight at a time;
/// a failed send is retried, with back-off (1 s doubling to 30 s), before
/// any later event goes out, and for as long as the shim lives. At most
/// ``maximumQueued`` events wait in memory; beyond that the oldest are left
/// to the journal (a daemon sees the gap in `berth-event-sequence` and
/// replays).
final class EventPublisher {
    static let maximumQueued = 128
    static let forwardTimeoutMilliseconds: Int64 = 5000

    private struct Queued {
        var sequence: UInt64
        var topic: String
        var payload: [UInt8]
    }

    private unowned let loop: EventLoop
    private let client: TTRPCClient?
    private let namespace: String
    private let taskID: String
    let journal: EventJournal
    private let logger: Logger
    private var queue: [Queued] = []
    private var sending = false
    private var retryDelay: Int64 = 0
    private var retryTimer: EventLoop.TimerID?
    private var idleWaiters: [() -> Void] = []

    /// A publisher for task `taskID` in `namespace`; `address` is the
    /// daemon's ttrpc socket (nil: journal only).
    init(loop: EventLoop, address: String?, namespace: String, taskID: String, journal: EventJournal, logger: Logger) {
        self.loop = loop
        self.client = address.flatMap { $0.isEmpty ? nil : TTRPCClient(loop: loop, path: Self.path(of: $0)) }
        self.namespace = namespace
        self.taskID = taskID
        self.journal = journal
        self.logger = logger
    }

    /// Events waiting to be sent.
    var pendingCount: Int { queue.count }

    /// Publishes `event` now (timestamped, numbered, journaled, queued).
    func publish(_ event: some ContainerdEvent) {
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope.make(
                event: event, namespace: namespace, timestamp: Google_Protobuf_Timestamp(WallTime.now()))
        } catch {
            logger.error("cannot encode event", metadata: ["error": "\(error)"])
            return
        }
        let sequence = journal.append(envelope)
        logger.debug("event", metadata: ["topic": "\(type(of: event).topic)", "sequence": "\(sequence)"])
        guard client != nil,
            let payload: [UInt8] = try? Containerd_Services_Events_Ttrpc_V1_ForwardRequest(
                envelope: envelope
            ).serializedBytes()
        else { return }
        queue.append(Queued(sequence: sequence, topic: type(of: event).topic, payload: payload))
        if queue.count > Self.maximumQueued {
            let dropped = queue.removeFirst()
            logger.warning(
                "event queue full; the oldest event stays in the journal only",
                metadata: ["topic": "\(dropped.topic)", "sequence": "\(dropped.sequence)"])
        }
        sendNext()
    }

    /// Calls `body` once the queue is empty, or after `timeoutMilliseconds`.
    func whenIdle(timeoutMilliseconds: Int64, _ body: @escaping () -> Void) {
        guard !queue.isEmpty else {
            body()
            return
        }
        var done = false
        let once = {
            guard !done else { return }
            done = true
            body()
        }
        idleWaiters.append(once)
        loop.schedule(afterMilliseconds: timeoutMilliseconds, once)
    }

    private func sendNext() {
        guard !sending, retryTimer == nil, let client, let next = queue.first else {
            if queue.isEmpty { notifyIdle() }
            return
        }
        sending = true
        client.call(
            service: EventsService.name, method: EventsService.Method.forward.rawValue, payload: next.payload,
            metadata: [
                (TTRPCRequest.namespaceMetadataKey, namespace),
                (JournalService.taskIDMetadataKey, taskID),
                (JournalService.sequenceMetadataKey, String(next.sequence)),
            ],
            timeoutMilliseconds: Self.forwardTimeoutMilliseconds
        ) { [unowned self] result in
            self.sending = false
            switch result {
            case .success:
                if self.queue.first?.sequence == next.sequence { self.queue.removeFirst() }
                self.retryDelay = 0
                self.sendNext()
            case .failure(let error):
                self.retryDelay = min(max(self.retryDelay * 2, 1000), 30_000)
                self.logger.warning(
                    "post event failed; retrying",
                    metadata: [
                        "topic": "\(next.topic)", "sequence": "\(next.sequence)", "error": "\(error.message)",
                        "retry.ms": "\(self.retryDelay)",
                    ])
                if error.code == .unavailable || error.code == .deadlineExceeded { client.close() }
                self.retryTimer = self.loop.schedule(afterMilliseconds: self.retryDelay) { [unowned self] in
                    self.retryTimer = nil
                    self.sendNext()
                }
            }
        }
    }

    private func notifyIdle() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    private static func path(of address: String) -> String {
        address.hasPrefix("unix://") ? String(address.dropFirst(7)) : address
    }
}
