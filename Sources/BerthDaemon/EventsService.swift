import BerthAPI
import BerthMetadata
import GRPCCore
import SwiftProtobuf

/// `containerd.services.events.v1.Events`: Publish and Forward feed the
/// ``EventExchange``; Subscribe streams matching envelopes until the client
/// cancels. Subscriptions see every namespace, as in containerd (filter on
/// `namespace==…` to narrow them).
public struct EventsService: Containerd_Services_Events_V1_Events.ServiceProtocol {
    let exchange: EventExchange

    /// A service over `exchange`.
    public init(exchange: EventExchange) {
        self.exchange = exchange
    }

    public func publish(
        request: ServerRequest<Containerd_Services_Events_V1_PublishRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            try EventExchange.validate(topic: request.message.topic)
            guard request.message.hasEvent else { throw DaemonError.invalidArgument("event must be set") }
            var envelope = EventExchange.Envelope()
            envelope.timestamp = EventExchange.now()
            envelope.namespace = namespace
            envelope.topic = request.message.topic
            envelope.event = request.message.event
            exchange.forward(envelope)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    public func forward(
        request: ServerRequest<Containerd_Services_Events_V1_ForwardRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Google_Protobuf_Empty> {
        try await rpc {
            try EventExchange.validate(request.message.envelope)
            exchange.forward(request.message.envelope)
            return ServerResponse(message: Google_Protobuf_Empty())
        }
    }

    /// The Subscribe metadata key asking for retained events (Berth extension).
    public static let sinceKey = "berth-events-since"

    public func subscribe(
        request: ServerRequest<Containerd_Services_Events_V1_SubscribeRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Containerd_Services_Events_V1_Envelope> {
        let filters = request.message.filters
        // Parse now so a bad filter is an InvalidArgument status, not a
        // stream that ends.
        _ = try await rpc { try Filter(parsing: filters) }
        // Berth extension: `berth-events-since: N` first replays the
        // retained events after sequence N (0 for all), e.g. the exits a
        // restarted daemon recovered before anyone could subscribe.
        let since = request.metadata[stringValues: Self.sinceKey].first(where: { _ in true }).flatMap { UInt64($0) }
        let stream = exchange.subscribe(since: since)
        return StreamingServerResponse { writer in
            let filter = try await rpc { try Filter(parsing: filters) }
            for await envelope in stream where EventFilter.matches(filter, envelope) {
                try await writer.write(envelope)
            }
            return [:]
        }
    }
}
