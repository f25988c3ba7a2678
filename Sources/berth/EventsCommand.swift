import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import GRPCCore
import SwiftProtobuf

/// `berth events [--filter F] [--since N] [--format json]`: berthd's events
/// as they happen; `--since N` first replays the retained events after
/// sequence N (Berth's `berth-events-since` extension; 0 for all). The JSON
/// form carries each event's `sequence`, to resume from after a disconnect
/// or a daemon restart.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print berthd's events until interrupted.")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("filter"), help: "containerd filter, e.g. topic~=/tasks/ (repeatable; ORed).")
    var filters: [String] = []

    @Option(help: "Replay the events berthd retained after this sequence number first (0: all).")
    var since: UInt64?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    /// The event types berth decodes, by proto name.
    static let types: [String: any SwiftProtobuf.Message.Type] = {
        let all: [any SwiftProtobuf.Message.Type] = [
            Containerd_Events_ContainerCreate.self, Containerd_Events_ContainerUpdate.self,
            Containerd_Events_ContainerDelete.self, Containerd_Events_ContentDelete.self,
            Containerd_Events_NamespaceCreate.self, Containerd_Events_NamespaceUpdate.self,
            Containerd_Events_NamespaceDelete.self, Containerd_Events_SnapshotPrepare.self,
            Containerd_Events_SnapshotCommit.self, Containerd_Events_SnapshotRemove.self,
            Containerd_Events_TaskCreate.self, Containerd_Events_TaskStart.self, Containerd_Events_TaskDelete.self,
            Containerd_Events_TaskIO.self, Containerd_Events_TaskExit.self, Containerd_Events_TaskOOM.self,
            Containerd_Events_TaskExecAdded.self, Containerd_Events_TaskExecStarted.self,
            Containerd_Events_TaskPaused.self, Containerd_Events_TaskResumed.self,
            Containerd_Events_TaskCheckpointed.self, Containerd_Services_Images_V1_ImageCreate.self,
            Containerd_Services_Images_V1_ImageUpdate.self, Containerd_Services_Images_V1_ImageDelete.self,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.protoMessageName, $0) })
    }()

    func run() async throws {
        try await reportingContainerErrors {
            let daemon = client.client
            var metadata = daemon.metadata
            if let since { metadata.addString(String(since), forKey: "berth-events-since") }
            var request = Containerd_Services_Events_V1_SubscribeRequest()
            request.filters = filters
            let format = self.format
            let message = request
            let headers = metadata
            try await daemon.run { grpc in
                try await Containerd_Services_Events_V1_Events.Client(wrapping: grpc).subscribe(
                    message, metadata: headers
                ) { response in
                    for try await envelope in response.messages {
                        Self.print(envelope, format: format)
                    }
                }
            }
        }
    }

    static func print(_ envelope: Containerd_Services_Events_V1_Envelope, format: OutputFormat) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let time = formatter.string(from: ContainerStatus.date(envelope.timestamp))
        let event = decode(envelope.event)
        let line: String
        switch format {
        case .text:
            line = "\(time) \(envelope.namespace) \(envelope.topic) \(event)"
        case .json:
            let escaped = { (text: String) -> String in
                let data =
                    (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]))
                    ?? Data("[\"\"]".utf8)
                return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
            }
            let sequence = envelope.berthSequence.map { "\"sequence\":\($0)," } ?? ""
            line =
                "{\(sequence)\"timestamp\":\(escaped(time)),\"namespace\":\(escaped(envelope.namespace)),"
                + "\"topic\":\(escaped(envelope.topic)),\"type\":\(escaped(envelope.event.messageName)),\"event\":\(event)}"
        }
        LogFollower.writeAll(1, Array((line + "\n").utf8)[...])
    }

    /// The event as protobuf JSON, or `{}` for a type berth does not know.
    static func decode(_ event: Google_Protobuf_Any) -> String {
        guard let type = types[event.messageName],
            let message = try? type.init(serializedBytes: event.value),
            let json = try? message.jsonString()
        else { return "{}" }
        return json
    }
}
