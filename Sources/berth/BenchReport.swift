import Foundation
import Histogram

#if canImport(Glibc)
    import Glibc
#endif

/// The result of `berth bench`: per executor, per phase percentiles, and
/// memory. Encodes to JSON with stable keys so runs can be compared.
struct BenchReport: Codable, Sendable {
    struct Phase: Codable, Sendable {
        var name: String
        var count: UInt64
        var p50: UInt64
        var p90: UInt64
        var p99: UInt64
        var max: UInt64

        /// Percentiles of `histogram` (µs).
        init(name: String, histogram: Histogram<UInt64>) {
            self.name = name
            count = histogram.totalCount
            p50 = histogram.valueAtPercentile(50)
            p90 = histogram.valueAtPercentile(90)
            p99 = histogram.valueAtPercentile(99)
            max = histogram.max
        }
    }

    struct Memory: Codable, Sendable {
        /// Shims sampled.
        var shims: Int
        /// Mean Private_Dirty and PSS per shim (KiB).
        var privateDirtyKib: Int
        var pssKib: Int

        init(samples: [BenchMemory.Sample]) {
            shims = samples.count
            privateDirtyKib = samples.isEmpty ? 0 : samples.map(\.privateDirty).reduce(0, +) / samples.count
            pssKib = samples.isEmpty ? 0 : samples.map(\.pss).reduce(0, +) / samples.count
        }
    }

    struct Executor: Codable, Sendable {
        var name: String
        /// Wall time of all iterations (s) and iterations per second.
        var seconds: Double
        var throughput: Double
        var phases: [Phase] = []
        var shimMemory: Memory?
    }

    var image: String
    var iterations: Int
    var concurrency: Int
    var exec: Bool
    var date: String
    var host: String
    var executors: [Executor] = []
    var berthdRssKib: Int?

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The human table: one block per executor, times in ms.
    func table() -> String {
        var lines = [
            "berth bench: \(image), \(iterations) iterations at concurrency \(concurrency)"
                + (exec ? ", with exec" : "") + "; \(date); \(host)"
        ]
        for executor in executors {
            lines.append("")
            lines.append(
                "\(executor.name): \(String(format: "%.2f", executor.seconds)) s, "
                    + "\(String(format: "%.1f", executor.throughput)) lifecycles/s")
            var rows = [["phase", "p50 ms", "p90 ms", "p99 ms", "max ms"]]
            for phase in executor.phases {
                let indent = ["bundle", "shim_start", "connect", "shim_create"].contains(phase.name) ? "  " : ""
                rows.append(
                    [indent + phase.name] + [phase.p50, phase.p90, phase.p99, phase.max].map(Self.milliseconds))
            }
            lines.append(contentsOf: Self.columns(rows))
            if let memory = executor.shimMemory, memory.shims > 0 {
                lines.append(
                    "idle shim (mean of \(memory.shims)): Private_Dirty \(memory.privateDirtyKib) KiB, PSS \(memory.pssKib) KiB"
                )
            }
        }
        if let rss = berthdRssKib { lines.append("\nberthd RSS: \(rss) KiB") }
        return lines.joined(separator: "\n")
    }

    static func milliseconds(_ microseconds: UInt64) -> String {
        String(format: "%.1f", Double(microseconds) / 1000)
    }

    static func columns(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in
            rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == 0
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
    }

    static func hostDescription() -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores, kernel \(release)"
    }
}
