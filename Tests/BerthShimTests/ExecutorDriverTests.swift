import BerthErrors
@testable import BerthExecutor
import BerthSystem
import Testing

/// Records the commands an ``Executor`` runs and answers with canned results.
final class RecordingRunner: CommandRunning {
    var commands: [Command] = []
    var results: [CommandResult] = []

    func run(_ command: Command) throws(SystemError) -> CommandResult {
        commands.append(command)
        if results.isEmpty {
            return CommandResult(pid: 1, status: .exited(0), standardOutput: [], standardError: [], timedOut: false)
        }
        return results.removeFirst()
    }

    static func failure(_ stderr: String, code: Int32 = 1) -> CommandResult {
        CommandResult(
            pid: 1, status: .exited(code), standardOutput: [], standardError: Array(stderr.utf8), timedOut: false)
    }
}

@Suite struct ExecutorDriverTests {
    let runc = ExecutorDriver(
        configuration: ExecutorConfiguration(dialect: .runc, root: "/run/r/ns", logPath: "/b/log.json"))

    @Test func createArgumentsMatchContainerdsShim() {
        #expect(
            runc.create(id: "c1", bundle: "/b", pidFile: "/b/init.pid", consoleSocket: "/tmp/pty.sock") == [
                "runc", "--root", "/run/r/ns", "--log", "/b/log.json", "--log-format", "json", "create", "--bundle",
                "/b",
                "--pid-file", "/b/init.pid", "--console-socket", "/tmp/pty.sock", "c1",
            ])
    }

    @Test func everyVerbHasItsArgv() {
        let global = ["runc", "--root", "/run/r/ns", "--log", "/b/log.json", "--log-format", "json"]
        #expect(runc.start(id: "c1") == global + ["start", "c1"])
        #expect(
            runc.exec(id: "c1", processFile: "/b/p.json", pidFile: "/b/e.pid")
                == global + ["exec", "--detach", "--pid-file", "/b/e.pid", "--process", "/b/p.json", "c1"])
        #expect(runc.kill(id: "c1", signal: 9, all: true) == global + ["kill", "--all", "c1", "9"])
        #expect(runc.kill(id: "c1", signal: 15, all: false) == global + ["kill", "c1", "15"])
        #expect(runc.delete(id: "c1", force: true) == global + ["delete", "--force", "c1"])
        #expect(runc.pause(id: "c1") == global + ["pause", "c1"])
        #expect(runc.resume(id: "c1") == global + ["resume", "c1"])
        #expect(runc.ps(id: "c1") == global + ["ps", "--format", "json", "c1"])
        #expect(
            runc.update(id: "c1", resourcesFile: "/b/r.json") == global + ["update", "--resources", "/b/r.json", "c1"])
        #expect(runc.featuresArguments == ["runc", "features"])
    }

    @Test func configurationFlagsGoBeforeTheVerb() {
        let driver = ExecutorDriver(
            configuration: ExecutorConfiguration(
                dialect: .crun, binary: "/usr/local/bin/crun", root: "/r", extraGlobalArguments: ["--debug"],
                systemdCgroup: true))
        #expect(
            driver.start(id: "x") == [
                "/usr/local/bin/crun", "--root", "/r", "--systemd-cgroup", "--debug", "start", "x",
            ])
    }

    @Test func runscHasNoUpdateAndNoFeatures() {
        let driver = ExecutorDriver(configuration: ExecutorConfiguration(dialect: .runsc, root: "/r"))
        #expect(driver.update(id: "x", resourcesFile: "/f") == nil)
        #expect(driver.featuresArguments == nil)
    }

    @Test(arguments: [
        ("", ExecutorDialect.runc), ("runc", .runc), ("/usr/sbin/runc", .runc), ("crun", .crun),
        ("/usr/bin/crun", .crun), ("runsc", .runsc), ("/opt/gvisor/runsc-debug", .runsc),
    ])
    func dialectFollowsTheBinaryName(name: String, dialect: ExecutorDialect) {
        #expect(ExecutorDialect(binaryName: name) == dialect)
    }

    @Test func crunHidesTheUnifiedMountOnlyWhereItHasControllers() {
        let hybrid = ExecutorQuirks.Host(hybridUnifiedHasControllers: true)
        let plain = ExecutorQuirks.Host(hybridUnifiedHasControllers: false)
        #expect(
            ExecutorQuirks.forDialect(.crun, on: hybrid)
                == ExecutorQuirks(privateMountNamespace: true, detachUnmount: "/sys/fs/cgroup/unified"))
        #expect(ExecutorQuirks.forDialect(.crun, on: plain) == ExecutorQuirks())
        #expect(ExecutorQuirks.forDialect(.runc, on: hybrid) == ExecutorQuirks())
        #expect(ExecutorQuirks.forDialect(.runsc, on: plain).extraGlobalArguments == ["--network=none"])
    }

    @Test func quirksReachTheSpawnedCommand() throws {
        let runner = RecordingRunner()
        let executor = try Executor(
            configuration: ExecutorConfiguration(dialect: .crun, binary: "/bin/sh", root: "/r"),
            quirks: ExecutorQuirks(privateMountNamespace: true, detachUnmount: "/sys/fs/cgroup/unified"),
            runner: runner, environment: [])
        try executor.start(id: "c")
        let command = try #require(runner.commands.first)
        #expect(command.path == "/bin/sh")
        #expect(command.privateMountNamespace)
        #expect(command.detachUnmount == "/sys/fs/cgroup/unified")
        #expect(command.arguments == ["/bin/sh", "--root", "/r", "start", "c"])
    }

    @Test func killOfAFinishedProcessIsNotFound() throws {
        let runner = RecordingRunner()
        runner.results = [RecordingRunner.failure("time=\"x\" level=error msg=\"container not running\"\n")]
        let executor = try Executor(
            configuration: ExecutorConfiguration(dialect: .runc, binary: "/bin/sh", root: "/r"), quirks: .init(),
            runner: runner, environment: [])
        #expect(throws: ExecutorError(code: .notFound, message: "process already finished")) {
            try executor.kill(id: "c", signal: 15, all: false)
        }
    }

    /// runsc's exec pid is its proxy: the process is found and signalled by
    /// its pid inside the sandbox; runc and crun never get those flags.
    @Test func runscExecsAreSignalledByTheirPIDInTheSandbox() {
        let runsc = ExecutorDriver(configuration: ExecutorConfiguration(dialect: .runsc, binary: "runsc", root: "/r"))
        #expect(
            runsc.exec(id: "c1", processFile: "/b/p.json", pidFile: "/b/e.pid", internalPIDFile: "/b/e.internal.pid")
                == [
                    "runsc", "--root", "/r", "exec", "--detach", "--pid-file", "/b/e.pid", "--internal-pid-file",
                    "/b/e.internal.pid", "--process", "/b/p.json", "c1",
                ])
        #expect(
            runsc.kill(id: "c1", signal: 15, all: false, pid: 7)
                == ["runsc", "--root", "/r", "kill", "--pid", "7", "c1", "15"])
        #expect(
            runc.exec(id: "c1", processFile: "/b/p.json", pidFile: "/b/e.pid", internalPIDFile: "/b/e.internal.pid")
                == runc.exec(id: "c1", processFile: "/b/p.json", pidFile: "/b/e.pid"))
        #expect(ExecutorFeatures.table(for: .runsc).execsHaveInternalPIDs)
        #expect(!ExecutorFeatures.table(for: .runc).execsHaveInternalPIDs)
        #expect(!ExecutorFeatures.table(for: .crun).execsHaveInternalPIDs)
    }

    @Test(arguments: [false, true])
    func runscKillsACreatedContainerByDeletingIt(all: Bool) throws {
        let runner = RecordingRunner()
        runner.results = [RecordingRunner.failure("cannot signal container \"c\" in state created\n")]
        let executor = try Executor(
            configuration: ExecutorConfiguration(dialect: .runsc, binary: "/bin/sh", root: "/r"),
            quirks: .forDialect(.runsc, on: .init(hybridUnifiedHasControllers: false)), runner: runner,
            environment: [])
        try executor.kill(id: "c", signal: 9, all: all)
        #expect(runner.commands.map { $0.arguments.suffix(3) }.last == ["delete", "--force", "c"])
        #expect(runner.commands.count == 2)
    }

    @Test func runscStillRefusesOtherSignalsToACreatedContainer() throws {
        let runner = RecordingRunner()
        runner.results = [RecordingRunner.failure("cannot signal container \"c\" in state created\n")]
        let executor = try Executor(
            configuration: ExecutorConfiguration(dialect: .runsc, binary: "/bin/sh", root: "/r"),
            quirks: .forDialect(.runsc, on: .init(hybridUnifiedHasControllers: false)), runner: runner,
            environment: [])
        #expect(throws: ExecutorError.self) { try executor.kill(id: "c", signal: 15, all: false) }
        #expect(runner.commands.count == 1)
    }

    @Test func failuresCarryTheExecutorsExplanation() throws {
        let runner = RecordingRunner()
        runner.results = [RecordingRunner.failure("{\"level\":\"error\",\"msg\":\"exec: \\\"nope\\\": not found\"}\n")]
        let executor = try Executor(
            configuration: ExecutorConfiguration(dialect: .runc, binary: "/bin/sh", root: "/r"), quirks: .init(),
            runner: runner, environment: [])
        #expect(throws: ExecutorError(code: .unknown, message: "OCI runtime start failed: exec: \"nope\": not found")) {
            try executor.start(id: "c")
        }
    }

    @Test func lastErrorIsReadFromTheJSONLog() {
        let log = """
            {"level":"info","msg":"starting","time":"t"}
            {"msg": "cannot open rootfs", "level": "error", "time": "t"}
            {"level":"warning","msg":"later","time":"t"}

            """
        #expect(Executor.lastError(inLog: Array(log.utf8)) == "cannot open rootfs")
    }

    @Test func missingBinaryIsNotFound() {
        #expect(throws: ExecutorError.self) {
            _ = try Executor(
                configuration: ExecutorConfiguration(dialect: .runc, binary: "no-such-runtime-xyz", root: "/r"),
                quirks: .init(), runner: RecordingRunner(), environment: ["PATH=/nonexistent"])
        }
    }

    @Test func psOutputParses() {
        #expect(Executor.parsePIDList(Array("[12,345, 6]\n".utf8)) == [12, 345, 6])
        #expect(Executor.parsePIDList(Array("null\n".utf8)) == [])
    }
}
