import ArgumentParser
import BerthAPI
import BerthBundle
import BerthShimProto
import BerthOCI
import Foundation
import SwiftProtobuf

/// `berth run IMAGE [COMMAND…]`: create a container, start it, and (unless
/// `-d`) follow it until it exits, with its exit status.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Create and start a container.",
        discussion: """
            Output goes to log files written by the container's shim (berth logs), \
            which an attached run follows. The exit status is the container's; \
            125 when berthd or the CLI failed, 126 when the command cannot be run, \
            127 when it is not found.
            """)

    @OptionGroup var client: ClientOptions
    @OptionGroup var create: CreateOptions
    @OptionGroup var runOptions: RunOptions

    @Flag(name: [.customShort("d"), .customLong("detach")], help: "Run in the background and print the id.")
    var detach = false

    @Flag(name: .customLong("rm"), help: "Remove the container when it exits.")
    var remove = false

    @Argument(help: "The image.")
    var image: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (replace the image's CMD).")
    var command: [String] = []

    func run() async throws {
        var status: UInt32 = 0
        try await reportingContainerErrors {
            let flags = try runOptions.runFlags(
                command: command.first == "--" ? Array(command.dropFirst()) : command)
            var request = try create.request(image: image, flags: flags)
            // Detached, nobody waits here: berthd removes it on exit.
            if detach && remove { request.labels[ContainerAPI.autoRemoveLabel] = "true" }
            let detach = self.detach
            let remove = self.remove
            status = try await client.client.containers { api in
                let container = try await api.create(request, logger: CreateOptions.logger)
                do {
                    return try await Self.startCreated(
                        api: api, container: container, attach: !detach, interactive: flags.interactive && !detach,
                        remove: remove)
                } catch {
                    if remove { try? await Self.cleanUp(api: api, container: container) }
                    throw error
                }
            }
        }
        if status != 0 { throw ExitCode(Int32(bitPattern: status)) }
    }

    /// Creates and starts the task of a created container; when attached,
    /// follows it and returns its exit status (then removes everything
    /// when `remove`); when detached, prints the id.
    static func startCreated(
        api: ContainerAPI, container: ContainerAPI.Container, attach: Bool, interactive: Bool, remove: Bool
    ) async throws -> UInt32 {
        let logs =
            LogFiles(container: container)
            ?? LogFiles(directory: LogFiles.defaultRoot + "/" + api.namespace + "/" + container.id)
        let stdio = try ContainerAPI.initStdio(container, logs: logs, interactive: interactive)
        do {
            try await api.createTask(container, stdio: stdio)
        } catch {
            if interactive { unlink(logs.stdinFIFO) }
            throw error
        }
        guard attach else {
            do {
                try await api.startMapped(container.id)
            } catch {
                _ = try? await api.deleteTask(container.id)
                throw error
            }
            print(container.id)
            return 0
        }
        let attachment = Attachment(
            api: api, id: container.id, logs: logs, stdinFIFO: interactive ? logs.stdinFIFO : nil,
            terminal: stdio.terminal)
        let status: UInt32
        do {
            status = try await attachment.run(start: true)
        } catch {
            _ = try? await api.deleteTask(container.id)
            if interactive { unlink(logs.stdinFIFO) }
            throw error
        }
        if interactive { unlink(logs.stdinFIFO) }
        if remove { try await cleanUp(api: api, container: container) }
        return status
    }

    /// Deletes the task (if any), the container and its snapshot and logs.
    static func cleanUp(api: ContainerAPI, container: ContainerAPI.Container) async throws {
        if try await api.task(container.id) != nil {
            try await api.deleteTask(container.id)
        }
        try await api.removeContainer(container)
    }
}
