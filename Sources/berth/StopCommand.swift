import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import GRPCCore
import SwiftProtobuf

/// `berth stop [-t SECONDS] CONTAINER…`: the image's StopSignal, then SIGKILL.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop containers: send the image's StopSignal, wait, then SIGKILL.")

    @OptionGroup var client: ClientOptions

    @Option(name: [.customShort("t"), .customLong("time")], help: "Seconds to wait before SIGKILL.")
    var time = 10

    @Argument(help: "The containers.")
    var containers: [String]

    func run() async throws {
        let time = self.time
        try await forEachContainer(containers) { reference in
            try await client.client.containers { api in
                let container = try await api.container(reference)
                try await Self.stop(api: api, container: container, timeout: .seconds(max(0, time)))
            }
            print(reference)
        }
    }

    /// Signals a running task with its StopSignal and waits up to
    /// `timeout`, then kills every process of it and waits for the exit.
    static func stop(api: ContainerAPI, container: ContainerAPI.Container, timeout: Duration) async throws {
        guard let task = try await api.task(container.id), task.status != .stopped else { return }
        if task.status == .created {
            try await api.kill(container.id, signal: SIGKILL, all: true)
            _ = try await api.waitStopped(container.id, timeout: .seconds(10))
            return
        }
        let label = container.labels[ContainerAPI.stopSignalLabel] ?? "SIGTERM"
        let signal = Signals.parse(label) ?? SIGTERM
        if task.status == .paused || task.status == .pausing {
            // A frozen process cannot act on a signal: thaw it first.
            var resume = Containerd_Services_Tasks_V1_ResumeTaskRequest()
            resume.containerID = container.id
            _ = try? await api.tasks.resume(resume, metadata: api.metadata)
        }
        if timeout > .zero {
            try await ignoringFinished { try await api.kill(container.id, signal: signal) }
            if try await api.waitStopped(container.id, timeout: timeout) { return }
        }
        try await ignoringFinished { try await api.kill(container.id, signal: SIGKILL, all: true) }
        if !(try await api.waitStopped(container.id, timeout: .seconds(30))) {
            throw CLIError(
                description: "container \(container.id) did not stop after SIGKILL", exitCode: CLIError.daemonExitCode)
        }
    }

    /// Runs a kill; "process already finished" (the race with an exit) is success.
    static func ignoringFinished(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as RPCError where error.code == .notFound {
        }
    }
}
