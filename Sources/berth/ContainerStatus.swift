import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// A container's state in words, as `berth ps` and `inspect` show it.
enum ContainerStatus {
    static func word(_ status: Containerd_V1_Types_Status) -> String {
        switch status {
        case .created: "created"
        case .running: "running"
        case .stopped: "exited"
        case .paused: "paused"
        case .pausing: "pausing"
        default: "unknown"
        }
    }

    /// `running`, `exited (7)`, … ; `created` for a container without a task.
    static func describe(_ task: Containerd_V1_Types_Process?) -> String {
        guard let task else { return "created" }
        if task.status == .stopped { return "exited (\(task.exitStatus))" }
        return word(task.status)
    }

    static func date(_ timestamp: Google_Protobuf_Timestamp) -> Date {
        Date(timeIntervalSince1970: Double(timestamp.seconds) + Double(timestamp.nanos) / 1e9)
    }
}
