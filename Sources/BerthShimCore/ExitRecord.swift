import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// How a process ended: its status and when.
public struct ExitStatus: Sendable, Equatable {
    /// The exit code, or 128 + the signal.
    public var status: UInt32
    public var exitedAt: WallTime

    public init(status: UInt32, exitedAt: WallTime) {
        self.status = status
        self.exitedAt = exitedAt
    }
}

/// The init's exit, durable in the bundle (Berth extension): `exit.json`,
/// the JSON form of a `DeleteResponse` (`{"pid", "exit_status",
/// "exited_at"}`), written with write, fsync, rename before the exit event
/// is sent, so a daemon that missed the event still learns the status.
enum ExitRecord {
    static let fileName = "exit.json"

    /// Writes the record atomically and durably.
    static func write(bundle: String, pid: Int32, exit: ExitStatus) throws(ShimError) {
        var response = Containerd_Task_V2_DeleteResponse()
        response.pid = UInt32(bitPattern: pid)
        response.exitStatus = exit.status
        response.exitedAt = Google_Protobuf_Timestamp(exit.exitedAt)
        var encoding = JSONEncodingOptions()
        encoding.preserveProtoFieldNames = true
        do {
            let text = try response.jsonString(options: encoding) + "\n"
            try FileSystem.writeAtomically(FileSystem.join(bundle, fileName), Array(text.utf8))
        } catch let error as SystemError {
            throw ShimError("write exit status", error)
        } catch {
            throw ShimError(code: .internal, message: "encode exit status: \(error)")
        }
    }

    /// Reads the record, or nil when none was written.
    static func read(bundle: String) -> Containerd_Task_V2_DeleteResponse? {
        guard let text = FileSystem.readText(FileSystem.join(bundle, fileName), limit: 64 << 10) else { return nil }
        return try? Containerd_Task_V2_DeleteResponse(jsonString: text)
    }
}

extension Google_Protobuf_Timestamp {
    /// The protobuf form of a wall-clock time.
    init(_ time: WallTime) {
        self.init(seconds: time.seconds, nanos: time.nanoseconds)
    }
}
