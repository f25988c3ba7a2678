import ArgumentParser
import BerthAPI
import BerthBundle
import BerthShimProto
import BerthOCI
import Foundation
import SwiftProtobuf

/// `berth start [-a] [-i] CONTAINER…`: start created or exited containers.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start one or more containers.")

    @OptionGroup var client: ClientOptions

    @Flag(name: [.customShort("a"), .customLong("attach")], help: "Follow the container's output until it exits.")
    var attach = false

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Attach stdin (with -a).")
    var interactive = false

    @Argument(help: "The containers.")
    var containers: [String]

    func validate() throws {
        if attach && containers.count != 1 { throw ValidationError("-a takes exactly one container") }
    }

    func run() async throws {
        var status: UInt32 = 0
        try await reportingContainerErrors {
            let attach = self.attach
            let interactive = self.interactive
            for reference in containers {
                status = try await client.client.containers { api in
                    let container = try await api.container(reference)
                    if let task = try await api.task(container.id) {
                        switch task.status {
                        case .stopped, .created:
                            try await api.deleteTask(container.id)
                        default:
                            guard attach else {
                                print(reference)
                                return 0
                            }
                            // Already running: follow it until it exits.
                            let logs =
                                LogFiles(container: container)
                                ?? LogFiles(directory: LogFiles.defaultRoot + "/" + api.namespace + "/" + container.id)
                            let attachment = Attachment(
                                api: api, id: container.id, logs: logs, stdinFIFO: nil, terminal: task.terminal)
                            return try await attachment.run(start: false)
                        }
                    }
                    let wantsStdin = interactive && attach && ContainerAPI.wantsStdin(container)
                    let status = try await RunCommand.startCreated(
                        api: api, container: container, attach: attach, interactive: wantsStdin, remove: false)
                    return status
                }
            }
        }
        if status != 0 { throw ExitCode(Int32(bitPattern: status)) }
    }
}
