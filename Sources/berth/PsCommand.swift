import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// One row of `berth ps --format json`.
struct ContainerSummary: Encodable {
    var id: String
    var image: String
    var command: [String]
    var created: Date
    var status: String
    var pid: UInt32?
    var exitStatus: UInt32?
    var runtime: String
    var labels: [String: String]

    init(_ container: ContainerAPI.Container, task: Containerd_V1_Types_Process?) {
        id = container.id
        image = container.image
        let process = ContainerAPI.spec(of: container)?["process"] as? [String: Any]
        command = process?["args"] as? [String] ?? []
        created = ContainerStatus.date(container.createdAt)
        status = ContainerStatus.describe(task)
        pid = task.flatMap { $0.status == .stopped ? nil : $0.pid }
        exitStatus = task.flatMap { $0.status == .stopped ? $0.exitStatus : nil }
        runtime = ContainerSummary.runtime(container)
        labels = container.labels
    }

    /// The runtime name, with the executor when the runc options name one.
    static func runtime(_ container: ContainerAPI.Container) -> String {
        let name = container.runtime.name
        guard container.runtime.hasOptions,
            let options = try? container.runtime.options.unpack(Containerd_Runc_V1_Options.self),
            !options.binaryName.isEmpty
        else { return name == "io.containerd.runc.v2" ? "runc" : name }
        return options.binaryName
    }
}

/// `berth ps [-a] [-q] [--format json]`.
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List containers (running ones unless -a).")

    @OptionGroup var client: ClientOptions

    @Flag(name: .shortAndLong, help: "Show every container, not only running ones.")
    var all = false

    @Flag(name: .shortAndLong, help: "Print only the ids.")
    var quiet = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        try await reportingContainerErrors {
            let (containers, tasks) = try await client.client.containers { api in
                (try await api.list(), try await api.taskList())
            }
            let shown = containers.sorted { $0.createdAt.seconds > $1.createdAt.seconds }.filter { container in
                guard !all else { return true }
                guard let task = tasks[container.id] else { return false }
                return task.status == .running || task.status == .paused || task.status == .pausing
            }
            let rows = shown.map { ContainerSummary($0, task: tasks[$0.id]) }
            if quiet {
                for row in rows { print(row.id) }
                return
            }
            switch format {
            case .json:
                print(try JSONOutput.encode(rows))
            case .text:
                var table = Table("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "RUNTIME")
                let now = Date()
                for row in rows {
                    let command = row.command.joined(separator: " ")
                    table.append([
                        Self.shortID(row.id), row.image,
                        "\"" + (command.count > 20 ? String(command.prefix(19)) + "…" : command) + "\"",
                        Self.ago(row.created, now: now), row.status, row.runtime,
                    ])
                }
                print(table.render(), terminator: "")
            }
        }
    }

    /// Generated (64 hex digit) ids are shortened to 12, names are kept.
    static func shortID(_ id: String) -> String {
        id.count == 64 && id.allSatisfy(\.isHexDigit) ? String(id.prefix(12)) : id
    }

    static func ago(_ date: Date, now: Date) -> String {
        let seconds = Int(max(0, now.timeIntervalSince(date)))
        switch seconds {
        case ..<60: return "\(seconds) seconds ago"
        case ..<3600: return "\(seconds / 60) minutes ago"
        case ..<86400: return "\(seconds / 3600) hours ago"
        default: return "\(seconds / 86400) days ago"
        }
    }
}
