import BerthShimProto
import SwiftProtobuf

/// The task events earlier daemons published, as berthd's event log kept
/// them: what lets a restarted daemon tell a shim's replay of an event that
/// already went out (published, then berthd died before acknowledging it)
/// from one that never did.
///
/// An event is the same event when its envelope's bytes are the same: a
/// shim stamps each event once, to the nanosecond, and journals that stamp.
/// Init exits are also kept by identity (container, pid, exit time), so a
/// daemon that finds a dead shim does not publish an exit of its own for
/// one that went out before.
public struct PriorEvents: Sendable {
    /// An init exit, by what makes it that exit.
    public struct Exit: Hashable, Sendable {
        var namespace: String
        var containerID: String
        var pid: UInt32
        var seconds: Int64
        var nanos: Int32

        init(namespace: String, containerID: String, pid: UInt32, exitedAt: Google_Protobuf_Timestamp) {
            self.namespace = namespace
            self.containerID = containerID
            self.pid = pid
            self.seconds = exitedAt.seconds
            self.nanos = exitedAt.nanos
        }
    }

    /// The serialized envelopes of `/tasks/` events.
    private var envelopes: Set<[UInt8]> = []
    private(set) var exits: Set<Exit> = []
    /// Only events stamped before this can be prior ones.
    private var cutoff = Google_Protobuf_Timestamp()

    /// No prior events (a first start, or a test).
    public init() {}

    /// The prior events among `serialized` (envelopes as the events API
    /// sends them, without Berth's sequence number), taken at `now`.
    public init(serialized: [[UInt8]], now: Google_Protobuf_Timestamp = EventGate.now()) {
        cutoff = now
        for bytes in serialized {
            guard let envelope = try? EventGate.Envelope(serializedBytes: bytes),
                envelope.topic.hasPrefix("/tasks/")
            else { continue }
            envelopes.insert(bytes)
            if let exit = EventGate.initExit(topic: envelope.topic, event: envelope.event) {
                exits.insert(
                    Exit(
                        namespace: envelope.namespace, containerID: exit.containerID, pid: exit.pid,
                        exitedAt: exit.exitedAt))
            }
        }
    }

    /// The number of events known.
    public var count: Int { envelopes.count }

    /// Whether `envelope` went out before.
    func contains(_ envelope: EventGate.Envelope) -> Bool {
        guard !envelopes.isEmpty, EventGate.isBefore(envelope.timestamp, cutoff),
            let bytes: [UInt8] = try? envelope.serializedBytes()
        else { return false }
        return envelopes.contains(bytes)
    }
}
