import BerthTestSupport
import Foundation
import Testing

/// Why the container CLI tests cannot run here, or nil.
enum CLIContainerAvailability {
    static var reason: String? {
        if !FileManager.default.isExecutableFile(atPath: CLIBinary.path) { return "\(CLIBinary.path) not built" }
        return DaemonHarness.unavailableReason
    }
}

/// The built `berth` CLI's container commands against a real berthd (which
/// runs berth-shim and runc, crun or runsc): run, create/start, stop, kill,
/// rm, ps, exec, logs, inspect, pause, top, stats, events, and Docker's exit
/// statuses. Each test has its own daemon, namespace and log directory.
@Suite(.enabled(if: CLIContainerAvailability.reason == nil, "berth, berthd or ctr unavailable"), .serialized)
struct CLIContainerTests {
    static let image = DaemonImageTests.imageName

    /// A daemon with the test image imported into one namespace, and the
    /// `berth` CLI pointed at both.
    final class Fixture {
        let daemon: DaemonHarness
        let namespace: String
        var logRoot: String { daemon.directory.path + "/logs" }

        init(namespace: String) throws {
            daemon = try DaemonTaskTests.daemon(namespace: namespace)
            self.namespace = namespace
        }

        /// Runs `berth ARGS…` to completion; or, when `stopAfter` is given,
        /// for that long (for commands that run until interrupted).
        func berth(
            _ arguments: [String], timeout: Duration = .seconds(120), stopAfter: Duration? = nil
        ) throws -> CLIImageTests.Output {
            let scratch = try TemporaryDirectory(prefix: "berth-cli")
            defer { scratch.remove() }
            var environment = ProcessInfo.processInfo.environment
            environment["BERTH_ADDRESS"] = daemon.address
            environment["BERTH_NAMESPACE"] = namespace
            environment["BERTH_LOG_DIR"] = logRoot
            let process = try TestProcess(
                CLIBinary.path, arguments, stdout: scratch.path + "/out", stderr: scratch.path + "/err",
                environment: environment)
            var status: Int32
            if let stopAfter {
                _ = process.wait(timeout: stopAfter)
                process.terminate(grace: .seconds(2))
                status = process.wait(timeout: .zero) ?? -1
            } else {
                guard let finished = process.wait(timeout: timeout) else {
                    process.terminate(grace: .seconds(2))
                    throw HarnessError("berth \(arguments) timed out")
                }
                status = finished
            }
            return CLIImageTests.Output(
                status: status,
                stdout: (try? String(contentsOfFile: scratch.path + "/out", encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: scratch.path + "/err", encoding: .utf8)) ?? "")
        }

        /// Removes what the test may have left (by name), then the daemon.
        func cleanup(_ names: [String] = []) {
            if !names.isEmpty { _ = try? berth(["rm", "-f"] + names) }
            daemon.cleanup()
        }

        /// Nothing of container `id` is left: no record, task, snapshot, bundle or logs.
        func expectGone(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let containers = try daemon.ctr(["containers", "ls", "-q"], namespace: namespace)
            #expect(!containers.stdout.contains(id), "\(containers.stdout)", sourceLocation: sourceLocation)
            let tasks = try daemon.ctr(["tasks", "ls", "-q"], namespace: namespace)
            #expect(!tasks.stdout.contains(id), "\(tasks.stdout)", sourceLocation: sourceLocation)
            let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: namespace)
            #expect(
                !snapshots.stdout.split(separator: "\n").contains { $0.hasPrefix(id + " ") }, "\(snapshots.stdout)",
                sourceLocation: sourceLocation)
            #expect(
                DaemonTaskTests.leftovers(daemon, namespace: namespace, id: id).isEmpty, sourceLocation: sourceLocation)
            #expect(
                !FileManager.default.fileExists(atPath: logRoot + "/\(namespace)/\(id)"), sourceLocation: sourceLocation
            )
        }

        /// Polls `berth logs` until it contains `needle`.
        func waitForLogs(_ id: String, containing needle: String, timeout: TimeInterval = 15) throws -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while Date() < deadline {
                last = try berth(["logs", id]).stdout
                if last.contains(needle) { return last }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return last
        }
    }

    @Test func runRemovePrintsOutputAndReturnsExitCodes() throws {
        let fixture = try Fixture(namespace: "clirun")
        defer { fixture.cleanup(["hello", "seven", "missing", "denied"]) }

        let hello = try fixture.berth(["run", "--rm", "--name", "hello", Self.image, "echo", "hi"])
        #expect(hello.status == 0, "\(hello.stderr)\n\(fixture.daemon.log())")
        #expect(hello.stdout == "hi\n")
        try fixture.expectGone("hello")

        let seven = try fixture.berth([
            "run", "--rm", "--name", "seven", Self.image, "sh", "-c", "echo out; echo err >&2; exit 7",
        ])
        #expect(seven.status == 7, "\(seven.stderr)")
        #expect(seven.stdout == "out\n")
        #expect(seven.stderr == "err\n")
        try fixture.expectGone("seven")

        // Docker's statuses for a command that is missing or cannot run.
        let missing = try fixture.berth(["run", "--rm", "--name", "missing", Self.image, "no-such-command"])
        #expect(missing.status == 127, "\(missing.stderr)")
        #expect(missing.stderr.contains("not found"), "\(missing.stderr)")
        try fixture.expectGone("missing")
        let denied = try fixture.berth(["run", "--rm", "--name", "denied", Self.image, "/etc/passwd"])
        #expect(denied.status == 126, "\(denied.stderr)")
        try fixture.expectGone("denied")

        // An error from the daemon or the CLI is 125.
        let noImage = try fixture.berth(["run", "--rm", "no/such:image", "true"])
        #expect(noImage.status == 125, "\(noImage.stderr)")
        let badFlag = try fixture.berth(["run", "--rm", "--memory", "lots", Self.image, "true"])
        #expect(badFlag.status == 125, "\(badFlag.stderr)")
        #expect(try fixture.berth(["ps", "-a", "-q"]).stdout.isEmpty)
    }

    /// `run -d`, then ps, exec, logs, inspect, stop (SIGTERM honoured at
    /// once), ps -a and rm.
    @Test func aDetachedContainerThroughItsLife() throws {
        let fixture = try Fixture(namespace: "clilife")
        defer { fixture.cleanup(["web"]) }
        let script = "trap 'echo bye; exit 0' TERM; echo started; while true; do sleep 0.1; done"
        let run = try fixture.berth(["run", "-d", "--name", "web", Self.image, "sh", "-c", script])
        #expect(run.status == 0, "\(run.stderr)\n\(fixture.daemon.log())")
        #expect(run.stdout == "web\n")

        let ps = try fixture.berth(["ps"])
        #expect(ps.stdout.hasPrefix("CONTAINER ID"), "\(ps.stdout)")
        #expect(ps.stdout.contains("web") && ps.stdout.contains("running"), "\(ps.stdout)")
        let json = try fixture.berth(["ps", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let row = try #require(rows?.first)
        #expect(row["id"] as? String == "web")
        #expect(row["status"] as? String == "running")
        #expect(row["image"] as? String == Self.image)

        let exec = try fixture.berth(["exec", "web", "sh", "-c", "echo in exec; exit 3"])
        #expect(exec.status == 3, "\(exec.stderr)")
        #expect(exec.stdout == "in exec\n")
        let shaped = try fixture.berth([
            "exec", "-e", "GREETING=hey", "-u", "1000:1000", "-w", "/tmp", "web", "sh", "-c",
            "echo $GREETING $(id -u) $(pwd)",
        ])
        #expect(shaped.status == 0, "\(shaped.stderr)")
        #expect(shaped.stdout == "hey 1000 /tmp\n")
        let execMissing = try fixture.berth(["exec", "web", "no-such-command"])
        #expect(execMissing.status == 127, "\(execMissing.stderr)")

        #expect(try fixture.waitForLogs("web", containing: "started").contains("started"))
        let inspect = try fixture.berth(["inspect", "web"])
        let inspected = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
        let entry = try #require(inspected?.first)
        #expect(entry["status"] as? String == "running", "\(inspect.stdout)")
        #expect((entry["task"] as? [String: Any])?["pid"] as? Int ?? 0 > 0, "\(inspect.stdout)")
        #expect(entry["spec"] is [String: Any])

        let started = Date()
        let stop = try fixture.berth(["stop", "web"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(elapsed < 5, "SIGTERM was honoured, so stop must not wait for the 10 s timeout: \(elapsed) s")
        let all = try fixture.berth(["ps", "-a"])
        #expect(all.stdout.contains("exited (0)"), "\(all.stdout)")
        #expect(try fixture.berth(["ps", "-q"]).stdout.isEmpty, "not running any more")
        let logs = try fixture.berth(["logs", "web"])
        #expect(logs.stdout == "started\nbye\n", "\(logs.stdout)")
        #expect(try fixture.berth(["logs", "--tail", "1", "web"]).stdout == "bye\n")

        #expect(try fixture.berth(["rm", "web"]).status == 0)
        try fixture.expectGone("web")
        let gone = try fixture.berth(["inspect", "web"])
        #expect(gone.status == 1 && gone.stderr.contains("no such container"), "\(gone.stderr)")
    }

    /// `stop` of a container that ignores SIGTERM kills it after `-t`.
    @Test func stopKillsAfterTheTimeout() throws {
        let fixture = try Fixture(namespace: "clistop")
        defer { fixture.cleanup(["stubborn"]) }
        let script = "trap '' TERM; echo ready; while true; do sleep 0.1; done"
        #expect(try fixture.berth(["run", "-d", "--name", "stubborn", Self.image, "sh", "-c", script]).status == 0)
        #expect(try fixture.waitForLogs("stubborn", containing: "ready").contains("ready"))
        let started = Date()
        let stop = try fixture.berth(["stop", "-t", "1", "stubborn"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(elapsed >= 1 && elapsed < 8, "\(elapsed) s")
        #expect(try fixture.berth(["ps", "-a"]).stdout.contains("exited (137)"))
        #expect(try fixture.berth(["rm", "stubborn"]).status == 0)
        try fixture.expectGone("stubborn")
    }

    @Test(arguments: ["crun", "runsc"])
    func runOnAnotherExecutor(_ executor: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/\(executor)"), "\(executor) not installed")
        let fixture = try Fixture(namespace: "cli\(executor)")
        defer { fixture.cleanup(["on-\(executor)"]) }
        let run = try fixture.berth([
            "run", "--rm", "--runtime", executor, "--name", "on-\(executor)", Self.image, "sh", "-c",
            "echo via \(executor); exit 4",
        ])
        #expect(run.status == 4, "\(run.stderr)\n\(fixture.daemon.log())")
        #expect(run.stdout == "via \(executor)\n")
        try fixture.expectGone("on-\(executor)")
    }

    /// `-e`, `--env-file`, `-u`, `-w`, `--read-only`, `--pids-limit`,
    /// `--hostname` and `--label` take effect.
    @Test func runFlagsTakeEffect() throws {
        let fixture = try Fixture(namespace: "cliflags")
        defer { fixture.cleanup(["flags"]) }
        let envFile = fixture.daemon.directory.path + "/env"
        try "FROM_FILE=yes\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let script = """
            echo $FOO $FROM_FILE; id -u; pwd; hostname; \
            touch /probe 2>/dev/null && echo writable || echo read-only; \
            cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
            """
        let run = try fixture.berth([
            "run", "--name", "flags", "-e", "FOO=bar", "--env-file", envFile, "-u", "1000", "-w", "/tmp",
            "--read-only", "--pids-limit", "12", "--hostname", "boxy", "--label", "team=cli", Self.image, "sh", "-c",
            script,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "bar yes\n1000\n/tmp\nboxy\nread-only\n12\n", "\(run.stdout)")
        // Without --rm the container stays, exited, with its label and logs.
        let inspect = try fixture.berth(["inspect", "flags"])
        #expect(inspect.stdout.contains("\"team\" : \"cli\""), "\(inspect.stdout)")
        #expect(try fixture.berth(["ps", "-a"]).stdout.contains("exited (0)"))
        #expect(try fixture.berth(["logs", "flags"]).stdout == run.stdout)
        // start -a runs it again and appends to its logs.
        let again = try fixture.berth(["start", "-a", "flags"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == run.stdout, "only the new run's output: \(again.stdout)")
        #expect(try fixture.berth(["logs", "flags"]).stdout == run.stdout + run.stdout)
        #expect(try fixture.berth(["rm", "flags"]).status == 0)
        try fixture.expectGone("flags")

        // -i: this process's stdin reaches the container, and its end closes the container's stdin.
        let client = ["--address", fixture.daemon.address, "-n", fixture.namespace]
        let piped = try CommandResult.run(
            CLIBinary.path, ["run"] + client + ["--log-dir", fixture.logRoot, "-i", "--rm", Self.image, "cat"],
            stdin: Data("piped\n".utf8))
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout == "piped\n")
        #expect(try fixture.berth(["run", "-d", "--name", "flags", Self.image, "sleep", "1000"]).status == 0)
        let execPiped = try CommandResult.run(
            CLIBinary.path, ["exec"] + client + ["-i", "flags", "sh", "-c", "cat; echo end"],
            stdin: Data("to exec\n".utf8))
        #expect(execPiped.status == 0, "\(execPiped.stderr)")
        #expect(execPiped.stdout == "to exec\nend\n")
        #expect(try fixture.berth(["rm", "-f", "flags"]).status == 0)
        try fixture.expectGone("flags")

        // -t under a pseudo-terminal (script(1)): the process gets a terminal of its own.
        let command =
            ([CLIBinary.path, "run"] + client + ["--log-dir", fixture.logRoot, "-t", "--rm", Self.image])
            .joined(separator: " ") + " sh -c 'tty; exit 6'"
        let tty = try CommandResult.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(tty.status == 6, "\(tty.stdout)\(tty.stderr)")
        #expect(tty.stdout.contains("/dev/pts/"), "\(tty.stdout)")
    }

    /// As in Docker, `rm` (like `stop` and `kill`) goes on past a container
    /// it cannot handle, and then exits non-zero.
    @Test func removeGoesOnPastAFailure() throws {
        let fixture = try Fixture(namespace: "clirmmany")
        defer { fixture.cleanup(["first", "second"]) }
        #expect(try fixture.berth(["run", "-d", "--name", "first", Self.image, "true"]).status == 0)
        #expect(try fixture.berth(["run", "-d", "--name", "second", Self.image, "sleep", "100"]).status == 0)
        let kill = try fixture.berth(["kill", "missing", "second"])
        #expect(kill.status != 0)
        #expect(kill.stdout == "second\n", "\(kill.stderr)")
        let rm = try fixture.berth(["rm", "-f", "missing", "first", "second"])
        #expect(rm.status != 0)
        #expect(rm.stderr.contains("missing"), "\(rm.stderr)")
        #expect(rm.stdout == "first\nsecond\n", "\(rm.stderr)")
        try fixture.expectGone("first")
        try fixture.expectGone("second")
    }

    /// `rm` refuses a running container and `rm -f` kills it first;
    /// `logs -f` follows until the container exits.
    @Test func forceRemoveAndFollowLogs() throws {
        let fixture = try Fixture(namespace: "clirmf")
        defer { fixture.cleanup(["busy", "counter"]) }
        let script = "for i in 1 2 3 4 5; do echo $i; sleep 0.2; done; echo done >&2"
        #expect(try fixture.berth(["run", "-d", "--name", "counter", Self.image, "sh", "-c", script]).status == 0)
        let followed = try fixture.berth(["logs", "-f", "counter"], timeout: .seconds(30))
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout == "1\n2\n3\n4\n5\n", "\(followed.stdout)")
        #expect(followed.stderr == "done\n", "\(followed.stderr)")
        #expect(try fixture.berth(["rm", "counter"]).status == 0)

        #expect(try fixture.berth(["run", "-d", "--name", "busy", Self.image, "sleep", "1000"]).status == 0)
        let refused = try fixture.berth(["rm", "busy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("running"), "\(refused.stderr)")
        let forced = try fixture.berth(["rm", "-f", "busy"])
        #expect(forced.status == 0, "\(forced.stderr)")
        try fixture.expectGone("busy")
    }

    /// create, start, pause/unpause, top, stats, kill, and the events it
    /// caused replayed with `events --since 0`.
    @Test func createStartPauseTopStatsKillEvents() throws {
        let fixture = try Fixture(namespace: "cliops")
        defer { fixture.cleanup(["ops"]) }
        // PID 1 of a container ignores signals it has no handler for: trap TERM.
        let create = try fixture.berth([
            "create", "--name", "ops", Self.image, "sh", "-c", "trap 'exit 5' TERM; sleep 1000 & wait",
        ])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(try fixture.berth(["ps", "-a"]).stdout.contains("created"))
        #expect(try fixture.berth(["start", "ops"]).status == 0)
        #expect(try fixture.berth(["ps"]).stdout.contains("running"))

        #expect(try fixture.berth(["pause", "ops"]).status == 0)
        #expect(try fixture.berth(["ps"]).stdout.contains("paused"))
        #expect(try fixture.berth(["unpause", "ops"]).status == 0)
        #expect(try fixture.berth(["ps"]).stdout.contains("running"))

        let top = try fixture.berth(["top", "ops"])
        #expect(top.status == 0 && top.stdout.contains("sleep 1000"), "\(top.stdout)\(top.stderr)")
        let stats = try fixture.berth(["stats", "--no-stream", "--format", "json", "ops"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let samples = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [[String: Any]]
        #expect((samples?.first?["pids"] as? Int) == 2, "\(stats.stdout)")
        #expect((samples?.first?["memoryUsage"] as? Int ?? 0) > 0, "\(stats.stdout)")

        #expect(try fixture.berth(["kill", "-s", "TERM", "ops"]).status == 0)
        var exited = false
        for _ in 0..<100 where !exited {
            exited = try fixture.berth(["ps", "-a"]).stdout.contains("exited (5)")
            if !exited { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(exited)

        let events = try fixture.berth(
            ["events", "--since", "0", "--filter", "namespace==cliops", "--format", "json"], stopAfter: .seconds(3))
        // events runs until interrupted: the timeout ends it.
        let objects = events.stdout.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        let topics = objects.compactMap { $0["topic"] as? String }
        // Each carries its sequence number, rising (filtered: not contiguous).
        let sequences = objects.compactMap { ($0["sequence"] as? NSNumber)?.uint64Value }
        #expect(sequences.count == objects.count && !sequences.isEmpty)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(sequences)")
        for topic in [
            "/containers/create", "/tasks/create", "/tasks/start", "/tasks/paused", "/tasks/resumed", "/tasks/exit",
        ] {
            #expect(topics.contains(topic), "\(topic) in \(topics)")
        }
        #expect(try fixture.berth(["rm", "ops"]).status == 0)
        try fixture.expectGone("ops")
    }

    /// The shim writes the logs: they are there after berthd was SIGKILLed
    /// and restarted, and the container kept writing meanwhile.
    @Test func logsSurviveADaemonRestart() throws {
        let fixture = try Fixture(namespace: "clirestart")
        defer { fixture.cleanup(["chatty"]) }
        let script = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done"
        #expect(try fixture.berth(["run", "-d", "--name", "chatty", Self.image, "sh", "-c", script]).status == 0)
        #expect(try fixture.waitForLogs("chatty", containing: "line 3\n").contains("line 3\n"))
        #expect(fixture.daemon.stop(signal: SIGKILL) != nil)
        Thread.sleep(forTimeInterval: 0.5)
        try fixture.daemon.start()
        let logs = try fixture.waitForLogs("chatty", containing: "line 10\n")
        #expect(logs.hasPrefix("line 1\nline 2\nline 3\n"), "\(logs)")
        #expect(logs.contains("line 10\n"), "\(logs)")
        #expect(try fixture.berth(["ps"]).stdout.contains("chatty"))
        let removed = try fixture.berth(["rm", "-f", "chatty"])
        #expect(removed.status == 0, "\(removed.stderr)")
        try fixture.expectGone("chatty")
    }
}
