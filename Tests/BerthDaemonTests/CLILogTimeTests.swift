import Foundation
import Testing

/// `berth logs --since` and `--timestamps` per line, from the write times
/// the shim records next to each log file.
@Suite(.enabled(if: CLIContainerAvailability.reason == nil, "berth, berthd or ctr unavailable"), .serialized)
struct CLILogTimeTests {
    typealias Fixture = CLIContainerTests.Fixture

    @Test func sinceAndTimestampsWorkPerLine() throws {
        let fixture = try Fixture(namespace: "clilogtime")
        defer { fixture.cleanup(["clock"]) }
        // "early" and "late" share stdout; only "late" and what follows are
        // newer than the cut taken between them.
        let script = "echo early; echo early-err >&2; sleep 2; echo late; echo late-err >&2; sleep 0.2; echo last"
        let run = try fixture.berth(["run", "-d", "--name", "clock", CLIContainerTests.image, "sh", "-c", script])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.waitForLogs("clock", containing: "early\n").contains("early\n"))
        Thread.sleep(forTimeInterval: 0.3)
        let cut = Date()
        #expect(try fixture.waitForLogs("clock", containing: "last\n").contains("last\n"))

        let since = try fixture.berth(["logs", "--since", String(format: "%.3f", cut.timeIntervalSince1970), "clock"])
        #expect(since.status == 0, "\(since.stderr)")
        #expect(since.stdout == "late\nlast\n", "\(since.stdout)")
        #expect(since.stderr == "late-err\n", "\(since.stderr)")

        let until = try fixture.berth(["logs", "--until", String(format: "%.3f", cut.timeIntervalSince1970), "clock"])
        #expect(until.status == 0, "\(until.stderr)")
        #expect(until.stdout == "early\n", "\(until.stdout)")
        #expect(until.stderr == "early-err\n", "\(until.stderr)")

        // A cut after everything prints nothing; one before prints all.
        let none = try fixture.berth(["logs", "--since", "0s", "clock"])
        #expect(none.stdout.isEmpty && none.stderr.isEmpty, "\(none.stdout)\(none.stderr)")
        let all = try fixture.berth(["logs", "--since", "1h", "clock"])
        #expect(all.stdout == "early\nlate\nlast\n", "\(all.stdout)")

        let stamped = try fixture.berth(["logs", "-t", "clock"])
        #expect(stamped.status == 0, "\(stamped.stderr)")
        let lines = stamped.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(stamped.stdout)")
        let pattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (early|late|last)$/
        var times: [Date] = []
        for line in lines {
            guard let match = line.wholeMatch(of: pattern) else {
                Issue.record("not a stamped line: \(line)")
                continue
            }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            // ISO8601DateFormatter reads at most milliseconds.
            let text = String(match.1)
            let trimmed = String(text.prefix(23)) + "Z"
            if let date = formatter.date(from: trimmed) { times.append(date) }
        }
        #expect(times.count == 3)
        if times.count == 3 {
            #expect(times[0] < cut && times[1] >= cut.addingTimeInterval(-0.001), "\(times) vs \(cut)")
            #expect(times[1] <= times[2])
            #expect(abs(times[0].timeIntervalSinceNow) < 60)
        }
        #expect(stamped.stderr.split(separator: "\n").count == 2, "\(stamped.stderr)")
    }
}
