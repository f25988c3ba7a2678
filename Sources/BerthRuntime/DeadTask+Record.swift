import Foundation
import SwiftProtobuf

/// A buried task's record, `<bundle>/dead.json`: what remains of a task
/// whose shim died (its rootfs unmounted, its executor state deleted) until
/// Tasks.Delete, so a daemon restarted in between still reports it stopped.
extension DeadTask {
    static let fileName = "dead.json"

    /// Writes the record into `bundle`. `exitOwed`: the daemon, not the
    /// shim, publishes this exit.
    func save(in bundle: TaskBundle, exitOwed: Bool = false) throws(RuntimeError) {
        let object: [String: Any] = [
            "pid": pid, "exit_status": exitStatus, "exit_known": exitKnown,
            "exited_at_seconds": exitedAt.seconds, "exited_at_nanos": exitedAt.nanos, "exit_owed": exitOwed,
        ]
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        } catch {
            throw .internal("encode \(Self.fileName): \(error)")
        }
        try TaskBundle.write(Array(data), to: bundle.path + "/" + Self.fileName, mode: 0o600)
    }

    /// The record in `bundle`, or nil.
    init?(bundle: TaskBundle) {
        guard let data = FileManager.default.contents(atPath: bundle.path + "/" + Self.fileName),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let pid = (object["pid"] as? NSNumber)?.uint32Value,
            let status = (object["exit_status"] as? NSNumber)?.uint32Value,
            let seconds = (object["exited_at_seconds"] as? NSNumber)?.int64Value,
            let nanos = (object["exited_at_nanos"] as? NSNumber)?.int32Value
        else { return nil }
        self.init(
            id: bundle.id, pid: pid, exitStatus: status,
            exitedAt: Google_Protobuf_Timestamp(seconds: seconds, nanos: nanos),
            exitKnown: (object["exit_known"] as? Bool) ?? false)
    }

    /// Whether the record in `bundle` says the daemon publishes the exit.
    static func exitOwed(bundle: TaskBundle) -> Bool {
        guard let data = FileManager.default.contents(atPath: bundle.path + "/" + Self.fileName),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return (object["exit_owed"] as? Bool) ?? false
    }
}
