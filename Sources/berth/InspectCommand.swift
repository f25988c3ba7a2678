import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth inspect CONTAINER…`: containers as JSON (record, spec, task).
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show containers as JSON: record, runtime spec and task.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Output format (json).")
    var format: String = "json"

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        try await reportingContainerErrors {
            guard format == "json" else {
                throw CLIError(description: "--format: only json is supported", exitCode: CLIError.daemonExitCode)
            }
            var out: [[String: Any]] = []
            for reference in containers {
                let (container, task) = try await client.client.containers { api in
                    let container = try await api.container(reference)
                    return (container, try await api.task(container.id))
                }
                out.append(Self.describe(container, task: task))
            }
            let data = try JSONSerialization.data(
                withJSONObject: out, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func describe(_ container: ContainerAPI.Container, task: Containerd_V1_Types_Process?) -> [String: Any] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var object: [String: Any] = [
            "id": container.id,
            "image": container.image,
            "labels": container.labels,
            "runtime": ["name": container.runtime.name, "executor": ContainerSummary.runtime(container)],
            "snapshotter": container.snapshotter,
            "snapshotKey": container.snapshotKey,
            "created": formatter.string(from: ContainerStatus.date(container.createdAt)),
            "status": ContainerStatus.describe(task),
        ]
        if let logs = LogFiles(container: container) {
            object["logs"] = ["stdout": logs.stdout, "stderr": logs.stderr]
        }
        if let spec = ContainerAPI.spec(of: container) { object["spec"] = spec }
        if let task {
            var state: [String: Any] = ["pid": task.pid, "status": ContainerStatus.word(task.status)]
            if task.status == .stopped {
                state["exitStatus"] = task.exitStatus
                if task.hasExitedAt {
                    state["exitedAt"] = formatter.string(from: ContainerStatus.date(task.exitedAt))
                }
            }
            object["task"] = state
        }
        return object
    }
}
