import BerthShimProto
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
        var events: [Berth_Shim_V1_JournalEvent] = []
        var index = 0
        while index + 4 <= bytes.count {
            let length =
                Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            index += 4
            guard length >= 0, index + length <= bytes.count else { break }
            if let event = try? Berth_Shim_V1_JournalEvent(serializedBytes: Array(bytes[index..<(index + length)])) {
                events.append(event)
            }
            index += length
        }
        return events
    }
}
