import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth rm [-f] CONTAINER…`: delete containers, their snapshots and logs.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove containers (with their snapshots and logs).")

    @OptionGroup var client: ClientOptions

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Kill a running container first.")
    var force = false

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        let force = self.force
        try await forEachContainer(containers) { reference in
            try await client.client.containers { api in
                let container = try await api.container(reference)
                if let task = try await api.task(container.id) {
                    if task.status != .stopped && task.status != .created {
                        guard force else {
                            throw CLIError(
                                description:
                                    "cannot remove container \(reference): it is \(ContainerStatus.word(task.status)); stop it first or use -f",
                                exitCode: 1)
                        }
                        try await StopCommand.stop(api: api, container: container, timeout: .zero)
                    }
                    try await api.deleteTask(container.id)
                }
                try await api.removeContainer(container)
            }
            print(reference)
        }
    }
}
