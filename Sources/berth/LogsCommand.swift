import ArgumentParser
import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// `berth logs [-f] [--tail N] [--since T] CONTAINER`: the container's
/// stdout and stderr from the log files its shim writes.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a container's output (stdout to stdout, stderr to stderr).")

    @OptionGroup var client: ClientOptions

    @Flag(
        name: [.customShort("f"), .customLong("follow")], help: "Keep following the output until the container exits.")
    var follow = false

    @Option(help: "Print only the last N lines of each stream.")
    var tail: Int?

    @Option(
        help: """
            Print only lines written at or after this: an RFC 3339 time, Unix seconds, or a duration \
            (10s, 5m, 2h). Line times come from the index the shim keeps next to each log.
            """)
    var since: String?

    @Option(help: "Print only lines written before this (same forms as --since); ends --follow there.")
    var until: String?

    @Flag(name: [.customShort("t"), .customLong("timestamps")], help: "Prefix each line with the time it was written.")
    var timestamps = false

    @Argument(help: "The container.")
    var container: String

    func run() async throws {
        try await reportingContainerErrors {
            let reference = container
            let since = try since.map(Self.parseSince)
            let until = try until.map(Self.parseSince)
            try await client.client.containers { api in
                let container = try await api.container(reference)
                guard let logs = LogFiles(container: container) else {
                    throw CLIError(description: "container \(reference) has no Berth log files", exitCode: 1)
                }
                let paths = [logs.stdout, logs.stderr]
                var offsets = paths.map { Self.startOffset($0, tail: tail) }
                if let since {
                    for (index, path) in paths.enumerated() {
                        offsets[index] = max(offsets[index], Self.firstLine(path, since: since))
                    }
                }
                // Lines written before `until` end where the first one
                // written at or after it begins.
                let ends = until.map { until in paths.map { Self.firstLine($0, since: until) } }
                let follower = LogFollower(
                    [(logs.stdout, 1), (logs.stderr, 2)], offsets: offsets, ends: ends, timestamps: timestamps)
                follower.pump()
                guard follow, until == nil, let task = try await api.task(container.id), task.status != .stopped else {
                    return
                }
                let following = Task { await follower.follow() }
                _ = try? await api.wait(container.id)
                following.cancel()
                await following.value
            }
        }
    }

    /// Where printing starts: the beginning, or the start of the last `tail` lines.
    static func startOffset(_ path: String, tail: Int?) -> off_t {
        guard let tail, let data = FileManager.default.contents(atPath: path) else { return 0 }
        guard tail > 0 else { return off_t(data.count) }
        var newlines = 0
        var index = data.count
        // A final newline ends the last line rather than starting another.
        if index > 0, data[index - 1] == UInt8(ascii: "\n") { index -= 1 }
        while index > 0 {
            if data[index - 1] == UInt8(ascii: "\n") {
                newlines += 1
                if newlines == tail { return off_t(index) }
            }
            index -= 1
        }
        return 0
    }

    /// Where the lines written at or after `since` begin. A log without
    /// write times (another shim's, or older) is printed whole when it was
    /// modified at or after `since`, and skipped otherwise.
    static func firstLine(_ path: String, since: Date) -> off_t {
        let timeline = LogTimeline(logPath: path)
        if !timeline.isEmpty { return timeline.firstLine(since: since) }
        return modified(path) < since ? LogFollower.sizes([path])[0] : 0
    }

    static func modified(_ path: String) -> Date {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return attributes?[.modificationDate] as? Date ?? .distantPast
    }

    /// RFC 3339, Unix seconds, or a duration before now.
    static func parseSince(_ text: String) throws -> Date {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()) {
            return Date().addingTimeInterval(-value * scale)
        }
        throw CLIError(description: "--since: cannot read \"\(text)\" as a time or duration", exitCode: 125)
    }
}
