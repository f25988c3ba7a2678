import BerthErrors
import BerthShimProto
import BerthTTRPC
import Foundation
import SwiftProtobuf
import Testing

struct EventEnvelopeTests {
    static func exit() -> Containerd_Events_TaskExit {
        var exit = Containerd_Events_TaskExit()
        exit.containerID = "api-r1"
        exit.id = "api-r1"
        exit.pid = 4242
        exit.exitStatus = 137
        exit.exitedAt = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 5)
        return exit
    }

    @Test func envelopeUsesTheBareTypeName() throws {
        let stamp = Google_Protobuf_Timestamp(seconds: 1_700_000_001, nanos: 0)
        let envelope = try EventEnvelope.make(event: Self.exit(), namespace: "default", timestamp: stamp)
        #expect(envelope.event.typeURL == "containerd.events.TaskExit")
        #expect(!envelope.event.typeURL.contains("googleapis"))
        #expect(envelope.topic == "/tasks/exit")
        #expect(envelope.namespace == "default")
        #expect(envelope.timestamp == stamp)
        #expect(try envelope.event.unpack(Containerd_Events_TaskExit.self) == Self.exit())
    }

    @Test func explicitTopic() throws {
        var oom = Containerd_Events_TaskOOM()
        oom.containerID = "c1"
        let envelope = try EventEnvelope.make(
            topic: "/tasks/oom", event: oom, namespace: "k8s.io", timestamp: .init(seconds: 1, nanos: 0)
        )
        #expect(envelope.event.typeURL == "containerd.events.TaskOOM")
        #expect(envelope.event.holds(Containerd_Events_TaskOOM.self))
        #expect(!envelope.event.holds(Containerd_Events_TaskExit.self))
    }

    @Test func anyPacksEveryTypeBare() throws {
        let options = try Google_Protobuf_Any(containerdPacking: Containerd_Runc_V1_Options())
        #expect(options.typeURL == "containerd.runc.v1.Options")
        let metrics = try Google_Protobuf_Any(containerdPacking: Io_Containerd_Cgroups_V2_Metrics())
        #expect(metrics.typeURL == "io.containerd.cgroups.v2.Metrics")
    }

    @Test func unpackAcceptsPrefixedURLsAndRejectsOtherTypes() throws {
        var any = try Google_Protobuf_Any(containerdPacking: Self.exit())
        any.typeURL = "type.googleapis.com/containerd.events.TaskExit"
        #expect(any.messageName == "containerd.events.TaskExit")
        #expect(try any.unpack(Containerd_Events_TaskExit.self).pid == 4242)
        #expect(throws: ShimProtoError.self) { try any.unpack(Containerd_Events_TaskStart.self) }
        do {
            _ = try any.unpack(Containerd_Events_TaskStart.self)
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func malformedValueIsInvalidArgument() {
        var any = Google_Protobuf_Any()
        any.typeURL = "containerd.events.TaskExit"
        any.value = Data([0xff, 0xff, 0xff])
        do {
            _ = try any.unpack(Containerd_Events_TaskExit.self)
            Issue.record("decoded garbage")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    /// Topics come from containerd's runtime/events.go constants.
    @Test(.enabled(if: WireFixtures.unavailableReason == nil))
    func topicsMatchContainerd() throws {
        let text = try String(contentsOfFile: WireFixtures.runtimeEvents, encoding: .utf8)
        var topics: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].hasSuffix("EventTopic") else { continue }
            let event = String(parts[0].dropLast("EventTopic".count))
            topics["containerd.events.\(event)"] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        #expect(topics.count == 10)
        #expect(containerdTaskEventTypes.count == topics.count)
        for type in containerdTaskEventTypes {
            #expect(topics[type.protoMessageName] == type.topic, "\(type.protoMessageName)")
        }
    }

    @Test func forwardRequestTravelsInATTRPCRequest() throws {
        let envelope = try EventEnvelope.make(
            event: Self.exit(), namespace: "default", timestamp: .init(seconds: 2, nanos: 0)
        )
        let forward = Containerd_Services_Events_Ttrpc_V1_ForwardRequest(envelope: envelope)
        let request = TTRPCRequest(
            service: EventsService.name,
            method: EventsService.Method.forward.rawValue,
            payload: try forward.serializedBytes(),
            timeoutNanoseconds: 5_000_000_000,
            metadata: [
                (TTRPCRequest.namespaceMetadataKey, "default"),
                (JournalService.taskIDMetadataKey, "api-r1"),
                (JournalService.sequenceMetadataKey, "7"),
            ]
        )
        var decoder = TTRPCFrameDecoder(role: .server)
        decoder.append(try TTRPCFrame.request(streamID: 1, request).encoded())
        let decoded = try #require(try decoder.nextFrame()).decodeRequest()
        #expect(decoded.service == "containerd.services.events.ttrpc.v1.Events")
        #expect(decoded.namespace == "default")
        #expect(decoded.metadataValues(JournalService.sequenceMetadataKey) == ["7"])
        let received = try Containerd_Services_Events_Ttrpc_V1_ForwardRequest(serializedBytes: decoded.payload)
        #expect(try received.envelope.event.unpack(Containerd_Events_TaskExit.self) == Self.exit())
    }
}
