import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth top CONTAINER`: the container's processes (host pids).
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top", abstract: "List a container's processes.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The container.")
    var container: String

    func run() async throws {
        try await reportingContainerErrors {
            let reference = container
            let processes = try await client.client.containers { api in
                let id = try await api.container(reference).id
                var request = Containerd_Services_Tasks_V1_ListPidsRequest()
                request.containerID = id
                return try await api.tasks.listPids(request, metadata: api.metadata).processes
            }
            var table = Table("PID", "EXEC", "CMD")
            for process in processes.sorted(by: { $0.pid < $1.pid }) {
                var exec = ""
                if process.hasInfo, let details = try? process.info.unpack(Containerd_Runc_V1_ProcessDetails.self) {
                    exec = details.execID
                }
                table.append(["\(process.pid)", exec, Self.commandLine(process.pid)])
            }
            print(table.render(), terminator: "")
        }
    }

    /// `/proc/PID/cmdline` with spaces (empty when the pid is not a host
    /// pid, as under runsc).
    static func commandLine(_ pid: UInt32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }
}
