import BerthErrors
import BerthShimProto
@testable import BerthShimCore
import BerthSystem
import BerthTestSupport
import Logging
import SwiftProtobuf
import Testing

@Suite struct ShimArgumentsTests {
    @Test func containerdsStartInvocationParses() throws {
        let arguments = try ShimArguments(parsing: [
            "-namespace", "default", "-address", "/run/containerd/containerd.sock", "-publish-binary",
            "/usr/bin/containerd", "-id", "c1", "-debug", "start",
        ])
        #expect(arguments.action == .start)
        #expect(arguments.namespace == "default")
        #expect(arguments.id == "c1")
        #expect(arguments.address == "/run/containerd/containerd.sock")
        #expect(arguments.publishBinary == "/usr/bin/containerd")
        #expect(arguments.debug)
    }

    @Test func goFlagFormsAreAccepted() throws {
        let arguments = try ShimArguments(parsing: ["--namespace=ns", "-bundle=/b", "-id", "x", "delete"])
        #expect(arguments.action == .delete)
        #expect(arguments.namespace == "ns")
        #expect(arguments.bundle == "/b")
        #expect(try ShimArguments(parsing: ["-namespace", "n", "-id", "x"]).action == .serve)
        #expect(try ShimArguments(parsing: ["-v"]).action == .version)
    }

    @Test func unknownFlagsAndActionsAreRejected() {
        #expect(throws: ShimError.self) { try ShimArguments(parsing: ["-frobnicate", "start"]) }
        #expect(throws: ShimError.self) { try ShimArguments(parsing: ["-id", "x", "explode"]) }
        #expect(throws: ShimError.self) { try ShimArguments(parsing: ["-id"]) }
    }
}

@Suite struct ShimPathsTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        #expect(SHA256.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func socketIsNamedLikeContainerds() {
        let paths = ShimPaths(address: "/run/containerd/containerd.sock", namespace: "default", id: "c1")
        let hash = SHA256.hex(Array("/run/containerd/containerd.sock/default/c1".utf8))
        #expect(paths.stateDirectory == "/run/containerd")
        #expect(paths.socket == "/run/containerd/s/" + hash)
        #expect(paths.defaultExecutorRoot == "/run/containerd/runc")
    }

    @Test func privateDaemonsKeepSocketsNextToTheirAddress() {
        let paths = ShimPaths(address: "/tmp/bc1/containerd.sock", namespace: "ns", id: "x")
        #expect(paths.socket.hasPrefix("/tmp/bc1/s/"))
        #expect(paths.defaultExecutorRoot == "/tmp/bc1/runc")
        let deep = ShimPaths(address: "/" + String(repeating: "d", count: 80) + "/c.sock", namespace: "ns", id: "x")
        #expect(deep.socket.hasPrefix("/run/berth/s/"))
    }

    @Test(arguments: ["c1", "a.b-c_d", String(repeating: "x", count: 76)])
    func validIdentifiers(id: String) throws {
        try validateIdentifier(id, "id")
    }

    @Test(arguments: ["", "../x", "a/b", "-a", "a-", "a..b", String(repeating: "x", count: 77)])
    func invalidIdentifiers(id: String) {
        #expect(throws: ShimError.self) { try validateIdentifier(id, "id") }
    }
}

@Suite struct CgroupLocationTests {
    let mountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func hybridHostsUseTheV1Controllers() throws {
        let membership = "12:pids:/ns/c1\n5:memory:/ns/c1\n3:cpuacct:/ns/c1\n2:cpu:/ns/c1\n0::/\n"
        let location = try #require(CgroupLocation.parse(membership: membership, mountinfo: mountinfo))
        #expect(location.version == .v1)
        #expect(location.directory("memory") == "/sys/fs/cgroup/memory/ns/c1")
        #expect(location.directory("cpuacct") == "/sys/fs/cgroup/cpuacct/ns/c1")
        #expect(location.directory("pids") == "/sys/fs/cgroup/pids/ns/c1")
    }

    @Test func unifiedHostsUseTheV2Directory() throws {
        let info = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw"
        let location = try #require(CgroupLocation.parse(membership: "0::/ns/c1\n", mountinfo: info))
        #expect(location.version == .v2)
        #expect(location.directory("memory") == "/sys/fs/cgroup/ns/c1")
    }
}

@Suite struct MountOptionTests {
    @Test func optionsSplitIntoFlagsAndData() {
        let overlay = MountSpec(
            type: "overlay", source: "overlay", options: ["index=off", "workdir=/w", "upperdir=/u", "lowerdir=/l"])
        #expect(overlay.parsedOptions.flags == 0)
        #expect(overlay.parsedOptions.data == "index=off,workdir=/w,upperdir=/u,lowerdir=/l")
        let bind = MountSpec(type: "bind", source: "/src", options: ["rbind", "ro", "rprivate"])
        let parsed = bind.parsedOptions
        #expect(parsed.data.isEmpty)
        #expect(parsed.flags != 0)
        #expect(parsed.propagation != 0)
    }
}

@Suite struct EventJournalTests {
    func envelope(_ topic: String) throws -> EventEnvelope {
        var event = Containerd_Events_TaskStart()
        event.containerID = topic
        return try EventEnvelope.make(event: event, namespace: "ns", timestamp: .init(seconds: 1, nanos: 0))
    }

    @Test func eventsAreNumberedReplayedAndAcknowledged() throws {
        let directory = try TemporaryDirectory(prefix: "journal")
        defer { directory.remove() }
        let journal = EventJournal(bundle: directory.path, logger: Logger(label: "test"))
        for index in 1...5 {
            #expect(journal.append(try envelope("e\(index)")) == UInt64(index))
        }
        #expect(journal.events(after: 0, limit: 100).map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(journal.events(after: 3, limit: 1).map(\.envelope.event.value.isEmpty) == [false])
        journal.acknowledge(through: 3)
        #expect(journal.firstRetained == 4)
        #expect(journal.events(after: 0, limit: 100).map(\.sequence) == [4, 5])

        // A new shim on the same bundle continues the numbering.
        let reopened = EventJournal(bundle: directory.path, logger: Logger(label: "test"))
        #expect(reopened.lastSequence == 5)
        #expect(reopened.append(try envelope("e6")) == 6)
    }

    @Test func theJournalIsBounded() throws {
        let directory = try TemporaryDirectory(prefix: "journal")
        defer { directory.remove() }
        let journal = EventJournal(bundle: directory.path, logger: Logger(label: "test"))
        for index in 1...(EventJournal.maximumEvents + 10) {
            _ = journal.append(try envelope("e\(index)"))
        }
        let retained = journal.events(after: 0, limit: 10_000)
        #expect(retained.count <= EventJournal.maximumEvents)
        #expect(retained.last?.sequence == UInt64(EventJournal.maximumEvents + 10))
        #expect(journal.firstRetained > 1)
        #expect(retained.first?.sequence == journal.firstRetained)
    }
}
