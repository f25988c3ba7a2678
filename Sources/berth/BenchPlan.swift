import BerthAPI
import BerthBundle
import BerthShimProto
import BerthSystem
import Foundation
import GRPCCore
import Histogram
import SwiftProtobuf
import Synchronization

/// What one `berth bench` run does per executor.
struct BenchPlan: Sendable {
    var image: String
    var iterations: Int
    var concurrency: Int
    var exec: Bool
    var logRoot: String
    var memorySamples: Int
    var runID: String

    /// The phases, in report order.
    static let phases = [
        "snapshot", "create", "task_create", "api", "bundle", "shim_start", "connect", "shim_create", "executor_create",
        "start", "executor_start", "exec", "exit", "delete", "shim_delete", "executor_delete", "finish", "total",
    ]

    /// Runs the iterations for `executor`, then samples shim memory.
    func run(api: ContainerAPI, executor: String) async throws -> BenchReport.Executor {
        var histograms: [String: Histogram<UInt64>] = [:]
        let started = Date()
        try await withThrowingTaskGroup(of: [String: Int64].self) { group in
            var next = 0
            func launch() {
                let index = next
                next += 1
                group.addTask { try await self.iteration(api: api, executor: executor, index: index) }
            }
            for _ in 0..<min(concurrency, iterations) { launch() }
            while let phases = try await group.next() {
                for (name, microseconds) in phases {
                    var histogram =
                        histograms[name]
                        ?? Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
                    _ = histogram.record(UInt64(max(0, microseconds)))
                    histograms[name] = histogram
                }
                if next < iterations { launch() }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        var result = BenchReport.Executor(
            name: executor, seconds: elapsed, throughput: Double(iterations) / max(elapsed, 1e-9))
        result.phases = Self.phases.compactMap { name in
            histograms[name].map { BenchReport.Phase(name: name, histogram: $0) }
        }
        if memorySamples > 0 {
            result.shimMemory = try await sampleShims(api: api, executor: executor)
        }
        return result
    }

    /// One lifecycle, timed phase by phase (µs).
    func iteration(api: ContainerAPI, executor: String, index: Int) async throws -> [String: Int64] {
        let id = "bench-\(runID)-\(executor)-\(index)"
        var flags = RunFlags()
        flags.command = exec ? ["sleep", "60"] : ["true"]
        let request = ContainerRequest(
            id: id, image: image, runtime: executor, flags: flags, snapshotter: "overlayfs", logRoot: logRoot)
        var clock = BenchClock()
        var phases: [String: Int64] = [:]
        let preparedAt = Mutex<Int64>(0)
        let container = try await api.create(request, logger: CreateOptions.logger) {
            preparedAt.withLock { $0 = BenchClock.now() }
        }
        phases["snapshot"] = clock.lap(until: preparedAt.withLock { $0 })
        phases["create"] = clock.lap()
        do {
            let server = try await createTask(api: api, container: container)
            phases["task_create"] = clock.lap()
            phases.merge(server) { first, _ in first }
            let started = try await startTask(api: api, id: id)
            phases["start"] = clock.lap()
            phases.merge(started) { first, _ in first }
            if exec {
                try await execTrue(api: api, container: container, execID: "bench")
                phases["exec"] = clock.lap()
                try await api.kill(id, signal: 9)
            }
            _ = try await api.wait(id)
            phases["exit"] = clock.lap()
            let deleted = try await deleteTask(api: api, id: id)
            try await api.removeContainer(container)
            phases["delete"] = clock.lap()
            phases.merge(deleted) { first, _ in first }
        } catch {
            _ = try? await api.kill(id, signal: 9)
            _ = try? await api.wait(id)
            _ = try? await api.deleteTask(id)
            try? await api.removeContainer(container)
            throw error
        }
        phases["total"] = clock.total
        return phases
    }

    /// Tasks.Create, returning berthd's breakdown (`berth-phases`).
    private func createTask(api: ContainerAPI, container: ContainerAPI.Container) async throws -> [String: Int64] {
        var request = Containerd_Services_Tasks_V1_CreateTaskRequest()
        request.containerID = container.id
        var mounts = Containerd_Services_Snapshots_V1_MountsRequest()
        mounts.snapshotter = container.snapshotter
        mounts.key = container.snapshotKey
        request.rootfs = try await api.snapshots.mounts(mounts, metadata: api.metadata).mounts
        if let logs = LogFiles(container: container) {
            let stdio = try ContainerAPI.initStdio(container, logs: logs, interactive: false)
            request.stdout = stdio.stdout
            request.stderr = stdio.stderr
        }
        let sent = MonotonicClock.microseconds()
        let header = try await api.tasks.create(request, metadata: api.metadata) { response in
            _ = try response.message
            return Self.phasesHeader(response.metadata)
        }
        var phases = Self.parsePhases(header)
        // From the call leaving here to berthd's handler (one host, one clock).
        if let received = phases.removeValue(forKey: "received_at") { phases["api"] = max(0, received - sent) }
        return phases
    }

    /// Tasks.Delete, returning berthd's breakdown (`berth-phases`).
    private func deleteTask(api: ContainerAPI, id: String) async throws -> [String: Int64] {
        var request = Containerd_Services_Tasks_V1_DeleteTaskRequest()
        request.containerID = id
        let header = try await api.tasks.delete(request, metadata: api.metadata) { response in
            _ = try response.message
            return Self.phasesHeader(response.metadata)
        }
        return Self.parsePhases(header)
    }

    /// Tasks.Start, returning the executor's time as its shim recorded it.
    private func startTask(api: ContainerAPI, id: String) async throws -> [String: Int64] {
        var request = Containerd_Services_Tasks_V1_StartRequest()
        request.containerID = id
        let header = try await api.tasks.start(request, metadata: api.metadata) { response in
            _ = try response.message
            return Self.phasesHeader(response.metadata)
        }
        return Self.parsePhases(header)
    }

    /// berthd's `berth-phases` response metadata ("" if absent).
    static func phasesHeader(_ metadata: Metadata) -> String {
        metadata[stringValues: "berth-phases"].first(where: { _ in true }) ?? ""
    }

    /// `bundle=310,shim_start=4100` → `["bundle": 310, "shim_start": 4100]`.
    static func parsePhases(_ header: String) -> [String: Int64] {
        var phases: [String: Int64] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int64(parts[1]) { phases[String(parts[0])] = value }
        }
        return phases
    }

    /// Execs `true` (no stdio) into the container and waits for it.
    private func execTrue(api: ContainerAPI, container: ContainerAPI.Container, execID: String) async throws {
        var process = (ContainerAPI.spec(of: container)?["process"] as? [String: Any]) ?? [:]
        process["args"] = ["true"]
        process["terminal"] = false
        var request = Containerd_Services_Tasks_V1_ExecProcessRequest()
        request.containerID = container.id
        request.execID = execID
        request.spec.typeURL = ContainerAPI.processTypeURL
        request.spec.value = try JSONSerialization.data(withJSONObject: process)
        _ = try await api.tasks.exec(request, metadata: api.metadata)
        _ = try await api.start(container.id, execID: execID)
        _ = try await api.wait(container.id, execID: execID)
        _ = try await api.deleteProcess(container.id, execID: execID)
    }

    /// Starts idle containers, reads their shims' memory, removes them.
    private func sampleShims(api: ContainerAPI, executor: String) async throws -> BenchReport.Memory {
        var containers: [ContainerAPI.Container] = []
        var samples: [BenchMemory.Sample] = []
        do {
            for index in 0..<memorySamples {
                var flags = RunFlags()
                flags.command = ["sleep", "60"]
                let request = ContainerRequest(
                    id: "bench-\(runID)-\(executor)-mem-\(index)", image: image, runtime: executor, flags: flags,
                    snapshotter: "overlayfs", logRoot: logRoot)
                let container = try await api.create(request, logger: CreateOptions.logger)
                containers.append(container)
                _ = try await createTask(api: api, container: container)
                _ = try await api.start(container.id)
            }
            try await Task.sleep(for: .seconds(1))
            for container in containers {
                if let pid = try await api.task(container.id)?.pid, let sample = BenchMemory.shim(ofTask: Int32(pid)) {
                    samples.append(sample)
                }
            }
        } catch {
            await remove(containers, api: api)
            throw error
        }
        await remove(containers, api: api)
        return BenchReport.Memory(samples: samples)
    }

    private func remove(_ containers: [ContainerAPI.Container], api: ContainerAPI) async {
        for container in containers {
            _ = try? await api.kill(container.id, signal: 9)
            _ = try? await api.wait(container.id)
            _ = try? await api.deleteTask(container.id)
            try? await api.removeContainer(container)
        }
    }
}

/// Monotonic laps in microseconds.
struct BenchClock {
    private let start = BenchClock.now()
    private var last = BenchClock.now()

    /// Microseconds since the previous lap.
    mutating func lap() -> Int64 {
        let now = Self.now()
        defer { last = now }
        return now - last
    }

    /// Microseconds from the previous lap to `instant` (a `now()` value
    /// taken since), which becomes the previous lap.
    mutating func lap(until instant: Int64) -> Int64 {
        defer { last = max(last, instant) }
        return max(0, instant - last)
    }

    /// Microseconds since the start.
    var total: Int64 { Self.now() - start }

    private static let origin = ContinuousClock.now

    static func now() -> Int64 {
        let elapsed = (ContinuousClock.now - origin).components
        return elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000
    }
}
