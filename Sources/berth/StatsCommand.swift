import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// One sample of `berth stats`.
struct ContainerStats: Encodable {
    var id: String
    var cpuNanoseconds: UInt64
    var memoryUsage: UInt64
    var memoryLimit: UInt64
    var pids: UInt64

    init?(id: String, data: SwiftProtobuf.Google_Protobuf_Any) {
        self.id = id
        if let v1 = try? data.unpack(Io_Containerd_Cgroups_V1_Metrics.self) {
            cpuNanoseconds = v1.cpu.usage.total
            memoryUsage = v1.memory.usage.usage
            memoryLimit = v1.memory.usage.limit
            pids = v1.pids.current
        } else if let v2 = try? data.unpack(Io_Containerd_Cgroups_V2_Metrics.self) {
            cpuNanoseconds = v2.cpu.usageUsec * 1000
            memoryUsage = v2.memory.usage
            memoryLimit = v2.memory.usageLimit
            pids = v2.pids.current
        } else {
            return nil
        }
    }
}

/// `berth stats [--no-stream] [--format json] CONTAINER…`: CPU, memory and pids
/// from the tasks' cgroups, every second until interrupted.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show containers' resource usage.")

    @OptionGroup var client: ClientOptions

    @Flag(name: .customLong("no-stream"), help: "Print one sample and exit.")
    var noStream = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Argument(help: "The containers (default: every running one).")
    var containers: [String] = []

    func run() async throws {
        try await reportingContainerErrors {
            var previous: [String: (UInt64, ContinuousClock.Instant)] = [:]
            while true {
                let references = containers
                let samples = try await client.client.containers { api in
                    let ids: [String]
                    if references.isEmpty {
                        ids = try await api.taskList().values.filter { $0.status == .running }.map(\.id).sorted()
                    } else {
                        var resolved: [String] = []
                        for reference in references { resolved.append(try await api.container(reference).id) }
                        ids = resolved
                    }
                    var request = Containerd_Services_Tasks_V1_MetricsRequest()
                    request.filters = ids.map { "id==\($0)" }
                    guard !ids.isEmpty else { return [ContainerStats]() }
                    let metrics = try await api.tasks.metrics(request, metadata: api.metadata).metrics
                    return metrics.compactMap { ContainerStats(id: $0.id, data: $0.data) }
                }
                let now = ContinuousClock.now
                switch format {
                case .json:
                    print(try JSONOutput.encode(samples))
                case .text:
                    var table = Table("CONTAINER ID", "CPU %", "CPU TIME", "MEM USAGE / LIMIT", "PIDS")
                    for sample in samples {
                        var cpu = "--"
                        if let (before, at) = previous[sample.id] {
                            let elapsed =
                                Double((now - at).components.seconds) + Double((now - at).components.attoseconds) / 1e18
                            if elapsed > 0 {
                                cpu = String(
                                    format: "%.2f%%", Double(sample.cpuNanoseconds &- before) / (elapsed * 1e9) * 100)
                            }
                        }
                        previous[sample.id] = (sample.cpuNanoseconds, now)
                        let limit =
                            sample.memoryLimit >= UInt64(1) << 62
                            ? "unlimited" : ByteFormat.size(Int64(sample.memoryLimit))
                        table.append([
                            PsCommand.shortID(sample.id), cpu,
                            String(format: "%.2fs", Double(sample.cpuNanoseconds) / 1e9),
                            ByteFormat.size(Int64(clamping: sample.memoryUsage)) + " / " + limit, "\(sample.pids)",
                        ])
                    }
                    print(table.render(), terminator: "")
                }
                if noStream { return }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
