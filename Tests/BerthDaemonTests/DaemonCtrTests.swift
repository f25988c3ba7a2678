import BerthShimProto
import BerthTTRPC
import BerthTestSupport
import Foundation
import SwiftProtobuf
import Testing

/// berthd driven by Debian's real ctr 1.6.20, each test with its own daemon.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonCtrTests {
    /// `ctr version` calls Version and Introspection.Server; our version
    /// strings avoid its mismatch warnings, and the UUID persists.
    @Test func ctrVersion() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let result = try daemon.ctr(["version"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Server:"))
        #expect(result.stdout.contains("Version:  1.6.20~ds1"))
        #expect(result.stdout.contains("UUID:"))
        #expect(!result.stderr.contains("mismatch"), "\(result.stderr)")
        let uuid = try String(contentsOfFile: daemon.root + "/introspection/uuid", encoding: .utf8)
        #expect(result.stdout.contains(uuid.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// `ctr namespaces create/ls/rm` with labels, as containerd behaves:
    /// sorted labels, Get of an unknown name is not an error, rm of an
    /// unknown name is tolerated by ctr.
    @Test func ctrNamespaces() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let create = try daemon.ctr(["namespaces", "create", "team-b", "zeta=1", "alpha=two"])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(try daemon.ctr(["namespaces", "create", "team-a"]).status == 0)

        let duplicate = try daemon.ctr(["namespaces", "create", "team-a"])
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("already exists"), "\(duplicate.stderr)")

        let list = try daemon.ctr(["namespaces", "ls"])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(lines.first == ["NAME", "LABELS"])
        #expect(lines.dropFirst().map { $0.first.map(String.init) ?? "" } == ["team-a", "team-b"])
        #expect(lines.last.map { $0.dropFirst().joined(separator: " ") } == "alpha=two,zeta=1")

        let quiet = try daemon.ctr(["namespaces", "ls", "-q"])
        #expect(quiet.stdout == "team-a\nteam-b\n")

        let bad = try daemon.ctr(["namespaces", "create", "Not_Valid!"])
        #expect(bad.status != 0)

        let remove = try daemon.ctr(["namespaces", "rm", "team-a", "never-made"])
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(try daemon.ctr(["namespaces", "ls", "-q"]).stdout == "team-b\n")
    }

    /// `ctr events` receives a namespace event the daemon publishes, an
    /// event published through gRPC Events.Publish (Debian's `containerd
    /// publish`), and one forwarded over ttrpc as a shim does — and keeps
    /// the stream open throughout.
    @Test func ctrEvents() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let events = try StreamingCommand(DaemonHarness.ctr, ["--address", daemon.address, "events"])
        defer { events.stop() }
        Thread.sleep(forTimeInterval: 0.5)

        #expect(try daemon.ctr(["namespaces", "create", "evns", "k=v"]).status == 0)
        let created = events.waitForLine(containing: "/namespaces/create")
        #expect(created?.contains("evns") == true, "\(events.text)")
        #expect(created?.contains("\"k\":\"v\"") == true, "\(events.text)")

        var oom = Containerd_Events_TaskOOM()
        oom.containerID = "published-1"
        let any = try Google_Protobuf_Any(containerdPacking: oom)
        let publish = try CommandResult.run(
            "/usr/bin/containerd",
            ["--address", daemon.address, "publish", "--namespace", "pubns", "--topic", "/tasks/oom"],
            stdin: Data(try any.serializedBytes() as [UInt8]))
        #expect(publish.status == 0, "\(publish.stderr)")
        let published = events.waitForLine(containing: "published-1")
        #expect(published?.contains("pubns /tasks/oom") == true, "\(events.text)")

        var exit = Containerd_Events_TaskExit()
        exit.containerID = "forwarded-1"
        exit.exitStatus = 7
        let stamp = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 0)
        let envelope = try EventEnvelope.make(event: exit, namespace: "shimns", timestamp: stamp)
        let response = try TTRPCTestClient.forward(envelope, to: daemon.ttrpcAddress)
        #expect(!response.hasStatus || response.status.code == 0, "\(response.status)")
        let forwarded = events.waitForLine(containing: "forwarded-1")
        #expect(forwarded?.contains("shimns /tasks/exit") == true, "\(events.text)")
        // The shim's timestamp is kept (2023-11-14).
        #expect(forwarded?.hasPrefix("2023-11-14") == true, "\(events.text)")

        #expect(events.process.isRunning, "ctr events ended: \(events.text)")
        #expect(!events.text.contains("EOF"))
    }

    /// Filters narrow a subscription: only the matching topic arrives.
    @Test func ctrEventsFilter() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let events = try StreamingCommand(
            DaemonHarness.ctr, ["--address", daemon.address, "events", "topic==\"/namespaces/delete\""])
        defer { events.stop() }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try daemon.ctr(["namespaces", "create", "filtered"]).status == 0)
        #expect(try daemon.ctr(["namespaces", "rm", "filtered"]).status == 0)
        #expect(events.waitForLine(containing: "/namespaces/delete") != nil, "\(events.text)")
        #expect(!events.text.contains("/namespaces/create"))
    }

    /// A second daemon on the same socket fails clearly and leaves the
    /// first one serving.
    @Test func secondDaemonFails() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let second = try daemon.launch(daemon.arguments, log: daemon.directory.path + "/second.log")
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        let log = (try? String(contentsOfFile: daemon.directory.path + "/second.log", encoding: .utf8)) ?? ""
        #expect(log.contains("another berthd"), "\(log)")
        #expect(try daemon.ctr(["version"]).status == 0)
    }

    /// Both sockets are mode 0660 and owned by root.
    @Test func socketModes() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        for path in [daemon.address, daemon.ttrpcAddress] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o660, "\(path)")
            #expect((attributes[.ownerAccountID] as? Int) == 0, "\(path)")
            #expect((attributes[.groupOwnerAccountID] as? Int) == 0, "\(path)")
        }
    }

    /// SIGTERM shuts down cleanly: exit 0, sockets and lock removed, and a
    /// subscribed ctr is not left hanging.
    @Test func sigtermShutsDown() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let status = daemon.stop()
        #expect(status == 0, "\(daemon.log())")
        #expect(!FileManager.default.fileExists(atPath: daemon.address))
        #expect(!FileManager.default.fileExists(atPath: daemon.ttrpcAddress))
        #expect(!FileManager.default.fileExists(atPath: daemon.address + ".lock"))
        #expect(daemon.log().contains("stopped"))
        // The same paths can be served again.
        try daemon.start()
        #expect(try daemon.ctr(["version"]).status == 0)
    }

    /// After a SIGKILL (stale sockets and lock file left behind) a new
    /// daemon takes over the same paths, and the metadata survives.
    @Test func restartAfterSIGKILL() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        #expect(try daemon.ctr(["namespaces", "create", "survivor", "a=1"]).status == 0)
        #expect(daemon.stop(signal: SIGKILL) != nil)
        #expect(FileManager.default.fileExists(atPath: daemon.address))
        try daemon.start()
        let list = try daemon.ctr(["namespaces", "ls"]).stdout
        #expect(list.contains("survivor") && list.contains("a=1"), "\(list)")
    }

    /// `berthd config default` prints TOML that reads back to the defaults,
    /// and a config file's values are used (here: the socket address).
    @Test func configDefaultRoundTrip() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        let printed = try CommandResult.run(DaemonHarness.berthd, ["config", "default"])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("root = \"/var/lib/berth\""))
        #expect(printed.stdout.contains("address = \"/run/berth/berth.sock\""))
        #expect(printed.stdout.contains("address = \"/run/berth/berth.sock.ttrpc\""))
        #expect(printed.stdout.contains("mode = \"0660\""))

        let file = daemon.directory.path + "/config.toml"
        let custom = printed.stdout
            .replacingOccurrences(of: "/var/lib/berth", with: daemon.root)
            .replacingOccurrences(of: "\"/run/berth/berth.sock", with: "\"" + daemon.address)
            .replacingOccurrences(of: "\"/run/berth\"", with: "\"" + daemon.state + "\"")
        try custom.write(toFile: file, atomically: true, encoding: .utf8)
        let dumped = try CommandResult.run(DaemonHarness.berthd, ["config", "dump", "--config", file])
        #expect(dumped.status == 0, "\(dumped.stderr)")
        #expect(dumped.stdout == custom)

        let process = try daemon.launch(["--config", file])
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(20)
        while !DaemonHarness.canConnect(daemon.address), Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try daemon.ctr(["version"]).status == 0, "\(daemon.log())")

        let broken = try CommandResult.run(DaemonHarness.berthd, ["config", "dump", "--config", file + ".nope"])
        #expect(broken.status != 0)
    }

    /// `--log-format json` writes one JSON object per line.
    @Test func jsonLogs() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start(extra: ["--log-format", "json"])
        _ = daemon.stop()
        let lines = daemon.log().split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] != nil, "\(line)")
            #expect(object?["level"] != nil, "\(line)")
        }
    }

    /// Namespaced services need the namespace header; a missing one is
    /// FailedPrecondition "namespace is required" (checked via Publish with
    /// an empty namespace from `containerd publish`).
    @Test func publishWithoutNamespaceFails() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        var oom = Containerd_Events_TaskOOM()
        oom.containerID = "x"
        let any = try Google_Protobuf_Any(containerdPacking: oom)
        let publish = try CommandResult.run(
            "/usr/bin/containerd",
            ["--address", daemon.address, "publish", "--namespace", "", "--topic", "/tasks/oom"],
            stdin: Data(try any.serializedBytes() as [UInt8]))
        #expect(publish.status != 0)
        #expect(publish.stderr.contains("namespace is required"), "\(publish.stderr)")
    }
}
