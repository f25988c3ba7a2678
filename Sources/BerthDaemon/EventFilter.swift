import BerthAPI
import BerthMetadata
import BerthShimProto
import Foundation
import SwiftProtobuf

/// Field lookup for `Events.Subscribe` filters, as containerd's envelope
/// adaptor: `topic`, `namespace` and `event.<field>` (the decoded event's
/// fields by proto name; nested messages with more components).
enum EventFilter {
    /// Event types the daemon can decode for `event.<field>` selectors.
    static let knownEvents: [String: any Message.Type] = {
        let types: [any Message.Type] = [
            Containerd_Events_TaskCreate.self, Containerd_Events_TaskStart.self, Containerd_Events_TaskDelete.self,
            Containerd_Events_TaskExit.self, Containerd_Events_TaskOOM.self, Containerd_Events_TaskExecAdded.self,
            Containerd_Events_TaskExecStarted.self, Containerd_Events_TaskPaused.self,
            Containerd_Events_TaskResumed.self, Containerd_Events_TaskCheckpointed.self,
            Containerd_Events_ContainerCreate.self, Containerd_Events_ContainerUpdate.self,
            Containerd_Events_ContainerDelete.self, Containerd_Events_ContentDelete.self,
            Containerd_Events_NamespaceCreate.self, Containerd_Events_NamespaceUpdate.self,
            Containerd_Events_NamespaceDelete.self, Containerd_Events_SnapshotPrepare.self,
            Containerd_Events_SnapshotCommit.self, Containerd_Events_SnapshotRemove.self,
            Containerd_Services_Images_V1_ImageCreate.self, Containerd_Services_Images_V1_ImageUpdate.self,
            Containerd_Services_Images_V1_ImageDelete.self,
        ]
        return Dictionary(uniqueKeysWithValues: types.map { ($0.protoMessageName, $0) })
    }()

    /// True if `envelope` passes `filter`.
    static func matches(_ filter: Filter, _ envelope: EventExchange.Envelope) -> Bool {
        var decoded: [String: Any]?
        return filter.matches { path in
            switch path.first {
            case "topic": return envelope.topic
            case "namespace": return envelope.namespace
            case "event":
                if decoded == nil { decoded = fields(of: envelope.event) }
                return lookup(path.dropFirst(), in: decoded ?? [:])
            default: return nil
            }
        }
    }

    /// The event's fields as a JSON object keyed by proto field names.
    static func fields(of any: Google_Protobuf_Any) -> [String: Any] {
        guard let type = knownEvents[any.messageName],
            let message = try? type.init(serializedBytes: any.value),
            let json = try? message.jsonUTF8Data(options: Self.jsonOptions),
            let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any]
        else { return [:] }
        return object
    }

    static let jsonOptions: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return options
    }()

    static func lookup(_ path: ArraySlice<String>, in object: [String: Any]) -> String? {
        guard let key = path.first else { return nil }
        switch object[key] {
        case let nested as [String: Any]:
            return path.count == 1 ? nil : lookup(path.dropFirst(), in: nested)
        case let value as String where path.count == 1: return value
        case let value as NSNumber where path.count == 1: return value.stringValue
        default:
            return nil
        }
    }
}
