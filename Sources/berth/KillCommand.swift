import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import GRPCCore
import SwiftProtobuf

/// `berth kill [-s SIGNAL] CONTAINER…`.
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to containers.")

    @OptionGroup var client: ClientOptions

    @Option(name: [.customShort("s"), .customLong("signal")], help: "The signal (name or number).")
    var signal = "KILL"

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        guard let number = Signals.parse(signal) else {
            try await reportingContainerErrors {
                throw CLIError(description: "invalid signal \"\(signal)\"", exitCode: CLIError.daemonExitCode)
            }
            return
        }
        try await forEachContainer(containers) { reference in
            try await client.client.containers { api in
                let container = try await api.container(reference)
                guard let task = try await api.task(container.id), task.status != .stopped else {
                    throw CLIError(description: "container \(reference) is not running", exitCode: 1)
                }
                try await api.kill(container.id, signal: number)
            }
            print(reference)
        }
    }
}
