import ArgumentParser
import BerthAPI
import BerthBundle
import BerthOCI
import BerthShimProto
import Foundation
import Logging
import SwiftProtobuf

/// `berth create IMAGE [COMMAND…]`: create a container without starting it.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a container (berth start runs it).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var create: CreateOptions
    @OptionGroup var runOptions: RunOptions

    @Flag(name: .customLong("rm"), help: "Have berthd remove the container when it exits after a start.")
    var remove = false

    @Argument(help: "The image.")
    var image: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (replace the image's CMD).")
    var command: [String] = []

    func run() async throws {
        try await reportingContainerErrors {
            var request = try create.request(image: image, flags: try runFlags())
            if remove { request.labels[ContainerAPI.autoRemoveLabel] = "true" }
            let container = try await client.client.containers { api in
                try await api.create(request, logger: CreateOptions.logger)
            }
            print(container.id)
        }
    }

    func runFlags() throws -> RunFlags {
        try runOptions.runFlags(command: command.first == "--" ? Array(command.dropFirst()) : command)
    }
}
