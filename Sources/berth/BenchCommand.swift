import ArgumentParser
import BerthBundle
import Foundation

/// `berth bench`: a lifecycle benchmark harness in the CLI, in the spirit of
/// containerd-stress and bucketbench. N iterations at concurrency C per
/// executor; each iteration creates a container, creates and starts its
/// task, (optionally) execs into it, waits for the exit and deletes it.
/// Every phase is timed, berthd adds the breakdown of Tasks.Create, and the
/// report gives p50/p90/p99 per phase (HdrHistogram) with the memory of
/// shims and of berthd.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark container lifecycles through berthd.",
        discussion: """
            Phases (µs in JSON, ms in the table): snapshot (image lookup, lease, \
            snapshot prepared), create (spec, container record), task_create \
            (api: the call reaching berthd; bundle written, shim_start, connect and \
            shim_create as berthd records \
            them; executor_create as the shim records it), start (executor_start as \
            the shim records it), exec (with --exec), exit (the task's exit \
            observed), delete (task, container, snapshot; shim_delete with \
            executor_delete as the shim records it, and finish: shim shutdown and \
            bundle removal, as berthd records them), total. Memory: \
            Private_Dirty and PSS of sampled idle shims, berthd's RSS.
            """)

    @OptionGroup var client: ClientOptions

    @Option(name: [.customShort("N"), .long], help: "Iterations per executor.")
    var iterations = 20

    @Option(name: [.customShort("c"), .long], help: "Iterations in flight at once.")
    var concurrency = 1

    @Option(name: .customLong("executor"), help: "runc, crun or runsc (repeat for several; default runc).")
    var executors: [String] = []

    @Flag(help: "Exec `true` into each container before it exits.")
    var exec = false

    @Option(help: "Idle containers whose shims' memory is sampled per executor (0: none).")
    var memorySamples = 5

    @Option(help: "Where container logs go (default: a temporary directory, removed afterwards).")
    var logDir: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Argument(help: "The image (it must be in berthd's store).")
    var image: String

    func validate() throws {
        guard iterations > 0, concurrency > 0, memorySamples >= 0 else {
            throw ValidationError("--iterations and --concurrency must be positive")
        }
        for executor in executors where !["runc", "crun", "runsc"].contains(executor) {
            throw ValidationError("--executor \(executor): expected runc, crun or runsc")
        }
    }

    func run() async throws {
        let logRoot = logDir ?? NSTemporaryDirectory() + "berth-bench-\(getpid())"
        defer { if logDir == nil { try? FileManager.default.removeItem(atPath: logRoot) } }
        let executors = self.executors.isEmpty ? ["runc"] : self.executors
        var report = BenchReport(
            image: image, iterations: iterations, concurrency: concurrency, exec: exec,
            date: ISO8601DateFormatter().string(from: Date()), host: BenchReport.hostDescription())
        try await reportingContainerErrors {
            let plan = BenchPlan(
                image: image, iterations: iterations, concurrency: concurrency, exec: exec, logRoot: logRoot,
                memorySamples: memorySamples, runID: String(UInt32.random(in: 0...UInt32.max), radix: 16))
            report.executors = try await client.client.containers { api in
                var results: [BenchReport.Executor] = []
                for executor in executors {
                    results.append(try await plan.run(api: api, executor: executor))
                }
                return results
            }
            report.berthdRssKib = BenchMemory.daemonRSS(address: client.resolvedAddress)
        }
        print(json ? try report.json() : report.table())
    }
}
