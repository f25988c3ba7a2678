import SwiftProtobuf

/// The envelope a shim forwards to the daemon's ttrpc events service.
public typealias EventEnvelope = Containerd_Services_Events_Ttrpc_V1_Envelope

extension Containerd_Services_Events_Ttrpc_V1_Envelope {
    /// An envelope for `event` on `topic`, packed with a bare type URL.
    ///
    /// - Parameters:
    ///   - topic: e.g. `/tasks/exit`.
    ///   - event: the payload.
    ///   - namespace: the containerd namespace of the task.
    ///   - timestamp: when the event happened; callers pass their clock's
    ///     reading so this stays pure.
    public static func make(
        topic: String,
        event: some Message,
        namespace: String,
        timestamp: Google_Protobuf_Timestamp
    ) throws(ShimProtoError) -> Self {
        var envelope = Self()
        envelope.timestamp = timestamp
        envelope.namespace = namespace
        envelope.topic = topic
        envelope.event = try Google_Protobuf_Any(containerdPacking: event)
        return envelope
    }

    /// An envelope for `event` on its type's topic.
    public static func make<E: ContainerdEvent>(
        event: E,
        namespace: String,
        timestamp: Google_Protobuf_Timestamp
    ) throws(ShimProtoError) -> Self {
        try make(topic: E.topic, event: event, namespace: namespace, timestamp: timestamp)
    }
}

extension Containerd_Services_Events_Ttrpc_V1_ForwardRequest {
    /// A Forward request carrying `envelope`.
    public init(envelope: EventEnvelope) {
        self.init()
        self.envelope = envelope
    }
}
