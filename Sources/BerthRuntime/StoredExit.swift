import BerthShimProto
import BerthSystem
import Foundation
import SwiftProtobuf

/// Berth's durable exit record, `<bundle>/exit.json`: the JSON form of a
/// `DeleteResponse` that berth-shim writes (write, fsync, rename) before it
/// announces the init's exit. docs/shim-protocol.md §1.
enum StoredExit {
    static let fileName = "exit.json"

    /// The recorded exit, or nil if none was stored (or it is unreadable).
    static func read(bundle: TaskBundle) -> Containerd_Task_V2_DeleteResponse? {
        guard let data = FileManager.default.contents(atPath: bundle.path + "/" + fileName) else { return nil }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return try? Containerd_Task_V2_DeleteResponse(jsonUTF8Bytes: Array(data), options: options)
    }
}

/// Berth's event journal, `<bundle>/events.journal`: records of a 4-byte
/// big-endian length and a serialized `JournalEvent`, oldest first,
/// acknowledged ones already trimmed. The daemon reads it directly when the
/// shim that wrote it is dead. docs/shim-protocol.md §5.
enum JournalFile {
    static let fileName = "events.journal"

    /// The events in the file; a torn last record is ignored.
    static func events(bundle: TaskBundle) -> [Berth_Shim_V1_JournalEvent] {
        guard let data = FileManager.default.contents(atPath: bundle.path + "/" + fileName) else { return [] }
        let bytes = [UInt8](data)
        return FramedRecords.payloads(in: bytes).ranges.compactMap {
            try? Berth_Shim_V1_JournalEvent(serializedBytes: bytes[$0])
        }
    }
}
