import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth pause CONTAINER…` and `berth unpause CONTAINER…`.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Freeze every process of containers.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        try await reportingContainerErrors {
            for reference in containers {
                try await client.client.containers { api in
                    let id = try await api.container(reference).id
                    var request = BerthAPI.Containerd_Services_Tasks_V1_PauseTaskRequest()
                    request.containerID = id
                    _ = try await api.tasks.pause(request, metadata: api.metadata)
                }
                print(reference)
            }
        }
    }
}

struct UnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpause", abstract: "Thaw the processes of paused containers.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        try await reportingContainerErrors {
            for reference in containers {
                try await client.client.containers { api in
                    let id = try await api.container(reference).id
                    var request = BerthAPI.Containerd_Services_Tasks_V1_ResumeTaskRequest()
                    request.containerID = id
                    _ = try await api.tasks.resume(request, metadata: api.metadata)
                }
                print(reference)
            }
        }
    }
}
