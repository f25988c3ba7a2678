import BerthAPI
import BerthShimProto
import BerthTTRPC
import BerthTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import SwiftProtobuf
import Testing

/// Hostile and careless input over berthd's API, and its access control,
/// against a real berthd: bad identifiers, oversized labels and bad filters
/// are InvalidArgument and leave nothing on disk; a namespace that does not
/// exist reads as empty and is not created by reading; namespaces never see
/// each other's objects; the API socket is 0660 root:root; a shim refuses a
/// peer with another uid. Where containerd 1.6 accepts an input (lease ids,
/// snapshot keys and content refs may contain `/` and `..`), berthd accepts
/// it too, and the test checks that it stays inside berthd's directories.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonHostileInputTests {
    static let hostileIDs = ["a/b", "..", "../x", "a/../b", "/abs", "x/..", "."]
    static let bigValue = String(repeating: "v", count: 4096)

    @Test func identifiersWithSlashOrDotDotAreInvalidArgumentAndCreateNothing() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let before = try Self.tree(daemon)
        try await Self.withClient(daemon) { client in
            let namespaces = Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: client)
            let containers = Containerd_Services_Containers_V1_Containers.Client(wrapping: client)
            let images = Containerd_Services_Images_V1_Images.Client(wrapping: client)
            for id in Self.hostileIDs {
                var namespace = Containerd_Services_Namespaces_V1_CreateNamespaceRequest()
                namespace.namespace.name = id
                await Self.expect(.invalidArgument, "Namespaces.Create \(id.debugDescription)") {
                    _ = try await namespaces.create(namespace)
                }
                var container = Containerd_Services_Containers_V1_CreateContainerRequest()
                container.container = Self.container(id: id)
                await Self.expect(.invalidArgument, "Containers.Create \(id.debugDescription)") {
                    _ = try await containers.create(container, metadata: Self.namespace("hostile"))
                }
                // A hostile namespace header is refused before anything is read or written.
                await Self.expect(.invalidArgument, "Images.List in namespace \(id.debugDescription)") {
                    _ = try await images.list(.init(), metadata: Self.namespace(id))
                }
                container.container = Self.container(id: "fine")
                await Self.expect(.invalidArgument, "Containers.Create in namespace \(id.debugDescription)") {
                    _ = try await containers.create(container, metadata: Self.namespace(id))
                }
            }
            let listed = try await namespaces.list(.init()).namespaces.map(\.name)
            #expect(listed.isEmpty, "no namespace was created: \(listed)")
        }
        let after = try Self.tree(daemon)
        #expect(after == before, "nothing new on disk: \(after.subtracting(before).sorted())")
    }

    /// containerd 1.6 accepts any lease id, snapshot key and ingest ref (they
    /// are keys in its database, and ingest directories are named by a hash of
    /// the ref); so does berthd, and nothing lands outside its root and state.
    @Test func leaseIDsSnapshotKeysAndContentRefsStayInside() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let outside = daemon.directory.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let escapes = ["../../../outside/x", "a/../../b", "/" + outside + "/y", "..", "a/b"]
        for (index, key) in escapes.enumerated() {
            let lease = try daemon.ctr(["leases", "create", "--id", key], namespace: "keys")
            #expect(lease.status == 0, "lease \(key): \(lease.stderr)")
            let snapshot = try daemon.ctr(["snapshots", "prepare", key], namespace: "keys")
            #expect(snapshot.status == 0, "snapshot \(key): \(snapshot.stderr)")
            let ingest = try Self.startIngest(daemon, ref: key, namespace: "keys", bytes: "part \(index)")
            #expect(ingest, "ingest \(key)")
        }
        let leases = try daemon.ctr(["leases", "ls", "-q"], namespace: "keys").stdout
        let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: "keys").stdout
        let active = try daemon.ctr(["content", "active"], namespace: "keys").stdout
        for key in escapes {
            #expect(leases.split(separator: "\n").contains(Substring(key)), "lease \(key) in \(leases)")
            #expect(snapshots.contains(key), "snapshot \(key) in \(snapshots)")
            #expect(active.contains(key), "ingest \(key) in \(active)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        let top = try Set(FileManager.default.contentsOfDirectory(atPath: daemon.directory.path))
        #expect(top == ["root", "state", "run", "berthd.log", "outside"], "\(top.sorted())")
        // Ingest directories are named by a hash; snapshot directories by a number.
        let ingests = try FileManager.default.contentsOfDirectory(atPath: daemon.root + "/content/ingest")
        #expect(ingests.count == escapes.count)
        #expect(ingests.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }, "\(ingests)")
        let snapshotDirectories = try FileManager.default.contentsOfDirectory(
            atPath: daemon.root + "/snapshots/overlayfs/snapshots")
        #expect(snapshotDirectories.allSatisfy { Int($0) != nil }, "\(snapshotDirectories)")
        for key in escapes {
            #expect(try daemon.ctr(["snapshots", "rm", key], namespace: "keys").status == 0, "rm snapshot \(key)")
            #expect(try daemon.ctr(["leases", "rm", key], namespace: "keys").status == 0, "rm lease \(key)")
        }
    }

    @Test func oversizedLabelsAreInvalidArgument() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let digest = try Self.ingest(daemon, "labelled blob\n", namespace: "labels")
        #expect(try daemon.ctr(["snapshots", "prepare", "snap"], namespace: "labels").status == 0)
        let before = try Self.tree(daemon)
        // Key plus value: 4096 bytes is the most containerd allows.
        let big = ["k": Self.bigValue]
        let exact = ["k": String(Self.bigValue.dropFirst())]
        try await Self.withClient(daemon) { client in
            let ns = Self.namespace("labels")
            let namespaces = Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: client)
            var namespace = Containerd_Services_Namespaces_V1_CreateNamespaceRequest()
            namespace.namespace.name = "big"
            namespace.namespace.labels = big
            await Self.expect(.invalidArgument, "Namespaces.Create") { _ = try await namespaces.create(namespace) }
            var update = Containerd_Services_Namespaces_V1_UpdateNamespaceRequest()
            update.namespace.name = "labels"
            update.namespace.labels = big
            update.updateMask.paths = ["labels.k"]
            await Self.expect(.invalidArgument, "Namespaces.Update") { _ = try await namespaces.update(update) }

            let containers = Containerd_Services_Containers_V1_Containers.Client(wrapping: client)
            var container = Containerd_Services_Containers_V1_CreateContainerRequest()
            container.container = Self.container(id: "c1")
            container.container.labels = big
            await Self.expect(.invalidArgument, "Containers.Create") {
                _ = try await containers.create(container, metadata: ns)
            }
            var emptyKey = container
            emptyKey.container.labels = ["": "v"]
            await Self.expect(.invalidArgument, "Containers.Create with an empty label key") {
                _ = try await containers.create(emptyKey, metadata: ns)
            }

            let images = Containerd_Services_Images_V1_Images.Client(wrapping: client)
            var image = Containerd_Services_Images_V1_CreateImageRequest()
            image.image.name = "example.com/big:1"
            image.image.target.mediaType = "application/vnd.oci.image.manifest.v1+json"
            image.image.target.digest = digest
            image.image.target.size = 14
            image.image.labels = big
            await Self.expect(.invalidArgument, "Images.Create") { _ = try await images.create(image, metadata: ns) }

            let content = Containerd_Services_Content_V1_Content.Client(wrapping: client)
            var info = Containerd_Services_Content_V1_UpdateRequest()
            info.info.digest = digest
            info.info.labels = big
            info.updateMask.paths = ["labels.k"]
            await Self.expect(.invalidArgument, "Content.Update") { _ = try await content.update(info, metadata: ns) }

            let snapshots = Containerd_Services_Snapshots_V1_Snapshots.Client(wrapping: client)
            var prepare = Containerd_Services_Snapshots_V1_PrepareSnapshotRequest()
            prepare.snapshotter = "overlayfs"
            prepare.key = "big"
            prepare.labels = big
            await Self.expect(.invalidArgument, "Snapshots.Prepare") {
                _ = try await snapshots.prepare(prepare, metadata: ns)
            }
            var label = Containerd_Services_Snapshots_V1_UpdateSnapshotRequest()
            label.snapshotter = "overlayfs"
            label.info.name = "snap"
            label.info.labels = big
            label.updateMask.paths = ["labels.k"]
            await Self.expect(.invalidArgument, "Snapshots.Update") {
                _ = try await snapshots.update(label, metadata: ns)
            }

            // containerd 1.6 does not check lease labels; berthd does, as everywhere else.
            let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
            await Self.expect(.invalidArgument, "Leases.Create") {
                _ = try await leases.create(
                    .with {
                        $0.id = "big"
                        $0.labels = big
                    }, metadata: ns)
            }

            // The limit itself is fine.
            container.container.labels = exact
            _ = try await containers.create(container, metadata: ns)
            _ = try await containers.delete(.with { $0.id = "c1" }, metadata: ns)
        }
        let after = try Self.tree(daemon)
        #expect(after == before, "nothing new on disk: \(after.subtracting(before).sorted())")
        let names = try daemon.ctr(["namespaces", "ls", "-q"]).stdout.split(separator: "\n")
        #expect(names == ["labels"], "\(names)")
    }

    @Test func badFiltersAreInvalidArgument() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        _ = try Self.ingest(daemon, "x\n", namespace: "filters")
        let bad = ["name==", "labels.\"a", "name===x", ",", "name==x,", "labels.a==\"unterminated", "==x", "a b"]
        try await Self.withClient(daemon) { client in
            let ns = Self.namespace("filters")
            let images = Containerd_Services_Images_V1_Images.Client(wrapping: client)
            let containers = Containerd_Services_Containers_V1_Containers.Client(wrapping: client)
            let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
            let content = Containerd_Services_Content_V1_Content.Client(wrapping: client)
            let snapshots = Containerd_Services_Snapshots_V1_Snapshots.Client(wrapping: client)
            for filter in bad {
                await Self.expect(.invalidArgument, "Images.List \(filter.debugDescription)") {
                    _ = try await images.list(.with { $0.filters = [filter] }, metadata: ns)
                }
                await Self.expect(.invalidArgument, "Containers.List \(filter.debugDescription)") {
                    _ = try await containers.list(.with { $0.filters = [filter] }, metadata: ns)
                }
                await Self.expect(.invalidArgument, "Leases.List \(filter.debugDescription)") {
                    _ = try await leases.list(.with { $0.filters = [filter] }, metadata: ns)
                }
                await Self.expect(.invalidArgument, "Content.List \(filter.debugDescription)") {
                    _ = try await content.list(.with { $0.filters = [filter] }, metadata: ns) { response in
                        for try await _ in response.messages {}
                    }
                }
                await Self.expect(.invalidArgument, "Snapshots.List \(filter.debugDescription)") {
                    _ = try await snapshots.list(
                        .with {
                            $0.snapshotter = "overlayfs"
                            $0.filters = [filter]
                        }, metadata: ns
                    ) { response in
                        for try await _ in response.messages {}
                    }
                }
            }
            // A good filter next to a bad one is still refused (the strings are ORed, all parsed).
            await Self.expect(.invalidArgument, "Images.List with one bad filter among good ones") {
                _ = try await images.list(.with { $0.filters = ["name==x", "name=="] }, metadata: ns)
            }
        }
    }

    @Test func aNamespaceThatDoesNotExistReadsAsEmptyAndIsNotCreated() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let digest = try Self.ingest(daemon, "elsewhere\n", namespace: "real")
        let before = try Self.tree(daemon)
        try await Self.withClient(daemon) { client in
            let ns = Self.namespace("nosuch")
            let namespaces = Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: client)
            // containerd's Get answers an unknown name with the name and no labels.
            let got = try await namespaces.get(.with { $0.name = "nosuch" }).namespace
            #expect(got.name == "nosuch" && got.labels.isEmpty)

            let images = Containerd_Services_Images_V1_Images.Client(wrapping: client)
            #expect(try await images.list(.init(), metadata: ns).images.isEmpty)
            await Self.expect(.notFound, "Images.Get") {
                _ = try await images.get(.with { $0.name = "docker.io/library/busybox:latest" }, metadata: ns)
            }
            let containers = Containerd_Services_Containers_V1_Containers.Client(wrapping: client)
            #expect(try await containers.list(.init(), metadata: ns).containers.isEmpty)
            await Self.expect(.notFound, "Containers.Get") {
                _ = try await containers.get(.with { $0.id = "c1" }, metadata: ns)
            }
            let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
            #expect(try await leases.list(.init(), metadata: ns).leases.isEmpty)
            let content = Containerd_Services_Content_V1_Content.Client(wrapping: client)
            let listed = try await content.list(.init(), metadata: ns) { response in
                var count = 0
                for try await message in response.messages { count += message.info.count }
                return count
            }
            #expect(listed == 0)
            await Self.expect(.notFound, "Content.Info of a blob stored for another namespace") {
                _ = try await content.info(.with { $0.digest = digest }, metadata: ns)
            }
            let snapshots = Containerd_Services_Snapshots_V1_Snapshots.Client(wrapping: client)
            let snapshotCount = try await snapshots.list(.with { $0.snapshotter = "overlayfs" }, metadata: ns) {
                response in
                var count = 0
                for try await message in response.messages { count += message.info.count }
                return count
            }
            #expect(snapshotCount == 0)
            await Self.expect(.notFound, "Snapshots.Stat") {
                _ = try await snapshots.stat(
                    .with {
                        $0.snapshotter = "overlayfs"
                        $0.key = "k"
                    }, metadata: ns)
            }
            let names = try await namespaces.list(.init()).namespaces.map(\.name)
            #expect(names == ["real"], "reads created no namespace: \(names)")
        }
        let after = try Self.tree(daemon)
        #expect(after == before, "nothing new on disk: \(after.subtracting(before).sorted())")
    }

    @Test func oneNamespaceNeverSeesAnother() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let digest = try Self.ingest(daemon, "shared bytes\n", namespace: "a")
        #expect(try daemon.ctr(["content", "label", digest, "owner=a"], namespace: "a").status == 0)
        #expect(try daemon.ctr(["leases", "create", "--id", "lease-a"], namespace: "a").status == 0)
        #expect(try daemon.ctr(["snapshots", "prepare", "snap-a"], namespace: "a").status == 0)
        // The same bytes in b: one blob on disk, but b's labels are its own.
        #expect(try Self.ingest(daemon, "shared bytes\n", namespace: "b") == digest)
        #expect(try daemon.ctr(["content", "label", digest, "owner=b"], namespace: "b").status == 0)
        try await Self.withClient(daemon) { client in
            let a = Self.namespace("a")
            let b = Self.namespace("b")
            let containers = Containerd_Services_Containers_V1_Containers.Client(wrapping: client)
            var container = Containerd_Services_Containers_V1_CreateContainerRequest()
            container.container = Self.container(id: "only-in-a")
            container.container.labels = ["owner": "a"]
            _ = try await containers.create(container, metadata: a)
            let images = Containerd_Services_Images_V1_Images.Client(wrapping: client)
            var image = Containerd_Services_Images_V1_CreateImageRequest()
            image.image.name = "example.com/only-in-a:1"
            image.image.target.mediaType = "application/vnd.oci.image.manifest.v1+json"
            image.image.target.digest = digest
            image.image.target.size = 13
            _ = try await images.create(image, metadata: a)

            #expect(try await containers.list(.init(), metadata: b).containers.isEmpty)
            await Self.expect(.notFound, "Containers.Get from b") {
                _ = try await containers.get(.with { $0.id = "only-in-a" }, metadata: b)
            }
            #expect(try await images.list(.init(), metadata: b).images.isEmpty)
            await Self.expect(.notFound, "Images.Get from b") {
                _ = try await images.get(.with { $0.name = "example.com/only-in-a:1" }, metadata: b)
            }
            // Deleting from b neither succeeds nor touches a's objects.
            await Self.expect(.notFound, "Containers.Delete from b") {
                _ = try await containers.delete(.with { $0.id = "only-in-a" }, metadata: b)
            }
            await Self.expect(.notFound, "Images.Delete from b") {
                _ = try await images.delete(.with { $0.name = "example.com/only-in-a:1" }, metadata: b)
            }
            let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
            #expect(try await leases.list(.init(), metadata: b).leases.isEmpty)
            await Self.expect(.notFound, "Leases.Delete from b") {
                _ = try await leases.delete(.with { $0.id = "lease-a" }, metadata: b)
            }
            let content = Containerd_Services_Content_V1_Content.Client(wrapping: client)
            let infoA = try await content.info(.with { $0.digest = digest }, metadata: a).info
            let infoB = try await content.info(.with { $0.digest = digest }, metadata: b).info
            #expect(infoA.labels["owner"] == "a" && infoB.labels["owner"] == "b")
            let snapshots = Containerd_Services_Snapshots_V1_Snapshots.Client(wrapping: client)
            await Self.expect(.notFound, "Snapshots.Stat from b") {
                _ = try await snapshots.stat(
                    .with {
                        $0.snapshotter = "overlayfs"
                        $0.key = "snap-a"
                    }, metadata: b)
            }
            // Filters cannot reach across either.
            let byLabel = try await containers.list(.with { $0.filters = ["labels.owner==a"] }, metadata: b)
            #expect(byLabel.containers.isEmpty)

            #expect(try await containers.list(.init(), metadata: a).containers.map(\.id) == ["only-in-a"])
            #expect(try await images.list(.init(), metadata: a).images.map(\.name) == ["example.com/only-in-a:1"])
            #expect(try await leases.list(.init(), metadata: a).leases.map(\.id) == ["lease-a"])
        }
    }

    @Test func apiSocketsAreMode0660OwnedByRoot() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        for path in [daemon.address, daemon.ttrpcAddress] {
            // FileManager's lstat: Glibc's `stat` is ambiguous with
            // CoreFoundation's in a clean build.
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect(attributes[.type] as? FileAttributeType == .typeSocket, "\(path) is a socket")
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            #expect(mode == 0o660, "\(path): mode \(String(mode, radix: 8))")
            let owner = (attributes[.ownerAccountID] as? NSNumber)?.intValue ?? -1
            let group = (attributes[.groupOwnerAccountID] as? NSNumber)?.intValue ?? -1
            #expect(owner == 0 && group == 0, "\(path): \(owner):\(group)")
        }
        let stat = try CommandResult.run("/usr/bin/stat", ["-c", "%a %U %G %F", daemon.address])
        #expect(stat.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "660 root root socket")

        // With every directory on the way open, the socket's mode alone keeps nobody out.
        let run = (daemon.address as NSString).deletingLastPathComponent
        for directory in [daemon.directory.path, run] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        }
        let client = daemon.directory.path + "/client.py"
        try Self.pythonClient.write(toFile: client, atomically: true, encoding: .utf8)
        for path in [daemon.address, daemon.ttrpcAddress] {
            let nobody = try CommandResult.run(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", client, path, "00"])
            #expect(nobody.stdout.hasPrefix("refused [Errno 13]"), "\(path): \(nobody.stdout) \(nobody.stderr)")
        }
    }

    /// A uid other than the shim's connects to the shim's socket: the shim
    /// closes the connection without answering. The same request from root
    /// is answered.
    @Test func shimRefusesAPeerWithAnotherUID() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        let shim = SchemaValidator.repositoryRoot + "/.build/debug/berth-shim"
        try #require(FileManager.default.isExecutableFile(atPath: shim), "\(shim) not built")
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv not installed")
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "python3 not installed")

        let bundle = daemon.directory.path + "/bundle"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let address = daemon.directory.path + "/run/b.sock"
        try FileManager.default.createDirectory(
            atPath: daemon.directory.path + "/run", withIntermediateDirectories: true)
        let start = try CommandResult.run(
            "/usr/bin/env",
            [
                "--chdir=" + bundle, shim, "-namespace", "hostile", "-id", "peer", "-address", address,
                "-publish-binary", "/bin/true", "start",
            ])
        try #require(start.status == 0, "shim start: \(start.stderr)")
        let socket = start.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(
            of: "unix://", with: "")
        defer { Self.shutdownShim(socket: socket) }
        // The socket's directory lets anyone reach the socket; only the uid check stops them.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: socket)

        let request = try TTRPCFrame.request(
            streamID: 1,
            TTRPCRequest(
                service: "containerd.task.v2.Task", method: "Connect",
                payload: try Containerd_Task_V2_ConnectRequest.with { $0.id = "peer" }.serializedBytes(),
                timeoutNanoseconds: 5_000_000_000, metadata: [])
        ).encoded()
        let client = daemon.directory.path + "/client.py"
        try Self.pythonClient.write(toFile: client, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: daemon.directory.path)
        let hex = request.map { String(format: "%02x", $0) }.joined()

        let asNobody = try CommandResult.run(
            setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", python, client, socket, hex])
        #expect(asNobody.stdout.hasPrefix("closed 0"), "nobody: \(asNobody.stdout) \(asNobody.stderr)")
        let asRoot = try CommandResult.run(python, [client, socket, hex])
        #expect(asRoot.stdout.hasPrefix("answered"), "root: \(asRoot.stdout) \(asRoot.stderr)")
    }

    /// berthd's ttrpc events socket checks its peer's uid too (beyond the
    /// socket's mode): with the mode opened up, a Forward from `nobody` is
    /// closed unanswered, while root's is answered.
    @Test func eventsSocketRefusesAPeerWithAnotherUID() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv not installed")
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "python3 not installed")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: daemon.ttrpcAddress)
        for directory in [daemon.directory.path, daemon.directory.path + "/run"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        }
        var start = Containerd_Events_TaskStart()
        start.containerID = "peer"
        let envelope = try EventEnvelope.make(
            event: start, namespace: "hostile", timestamp: Google_Protobuf_Timestamp(seconds: 1, nanos: 0))
        let request = try TTRPCFrame.request(
            streamID: 1,
            TTRPCRequest(
                service: EventsService.name, method: "Forward",
                payload: try TTRPCTestClient.ForwardRequest(envelope: envelope).serializedBytes(),
                timeoutNanoseconds: 5_000_000_000, metadata: [(TTRPCRequest.namespaceMetadataKey, "hostile")])
        ).encoded()
        let client = daemon.directory.path + "/client.py"
        try Self.pythonClient.write(toFile: client, atomically: true, encoding: .utf8)
        let hex = request.map { String(format: "%02x", $0) }.joined()
        let asNobody = try CommandResult.run(
            setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", python, client, daemon.ttrpcAddress, hex])
        #expect(asNobody.stdout.hasPrefix("closed 0"), "nobody: \(asNobody.stdout) \(asNobody.stderr)")
        let asRoot = try CommandResult.run(python, [client, daemon.ttrpcAddress, hex])
        #expect(asRoot.stdout.hasPrefix("answered"), "root: \(asRoot.stdout) \(asRoot.stderr)")
    }

    // MARK: - Helpers

    /// Connects to argv[1], sends the hex bytes of argv[2], and prints
    /// "closed N" if the peer closed after N answer bytes, or "answered N".
    static let pythonClient = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(sys.argv[1])
        except OSError as e:
            print("refused", e); sys.exit(0)
        try:
            s.sendall(bytes.fromhex(sys.argv[2]))
        except OSError:
            pass
        got = b""
        try:
            while len(got) < 10:
                chunk = s.recv(4096)
                if not chunk:
                    print("closed", len(got)); sys.exit(0)
                got += chunk
        except ConnectionResetError:
            print("closed", len(got)); sys.exit(0)
        except socket.timeout:
            print("timeout", len(got)); sys.exit(0)
        print("answered", len(got))
        """

    /// Asks the shim to shut down, as root, over its socket.
    static func shutdownShim(socket path: String) {
        guard
            let frame = try? TTRPCFrame.request(
                streamID: 1,
                TTRPCRequest(
                    service: "containerd.task.v2.Task", method: "Shutdown",
                    payload: (try? Containerd_Task_V2_ShutdownRequest.with {
                        $0.id = "peer"
                        $0.now = true
                    }.serializedBytes()) ?? [],
                    timeoutNanoseconds: 5_000_000_000, metadata: [])
            ).encoded()
        else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return }
        _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 256)
        _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    }

    static func container(id: String) -> Containerd_Services_Containers_V1_Container {
        var container = Containerd_Services_Containers_V1_Container()
        container.id = id
        container.runtime.name = "io.containerd.runc.v2"
        container.spec.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/Spec"
        container.spec.value = Data("{}".utf8)
        return container
    }

    static func namespace(_ name: String) -> Metadata {
        var metadata = Metadata()
        metadata.addString(name, forKey: "containerd-namespace")
        return metadata
    }

    static func withClient<T: Sendable>(
        _ daemon: DaemonHarness, _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
    ) async throws -> T {
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }

    /// Expects `body` to fail with `code`.
    static func expect(
        _ code: RPCError.Code, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("\(what): succeeded, expected \(code)", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(what): \(error), expected \(code)", sourceLocation: sourceLocation)
        }
    }

    /// Writes `text` into the content store through ctr; returns its digest.
    static func ingest(_ daemon: DaemonHarness, _ text: String, namespace: String) throws -> String {
        let data = Data(text.utf8)
        let digest = "sha256:" + SHA256Hex.of(data)
        let result = try daemon.ctr(
            ["content", "ingest", "--expected-digest", digest, "--expected-size", "\(data.count)", "ref-\(digest)"],
            namespace: namespace, stdin: data)
        guard result.status == 0 else { throw HarnessError("ingest: \(result.stderr)") }
        return digest
    }

    /// Starts an ingest under `ref` and leaves it open (a partial write).
    static func startIngest(_ daemon: DaemonHarness, ref: String, namespace: String, bytes: String) throws -> Bool {
        // Expecting more bytes than are sent leaves the ingest active.
        _ = try daemon.ctr(
            ["content", "ingest", "--expected-size", "1000000", ref], namespace: namespace,
            stdin: Data(bytes.utf8))
        let active = try daemon.ctr(["content", "active"], namespace: namespace).stdout
        return active.contains(ref)
    }

    /// Every path under the harness directory, except the database files
    /// and logs whose contents (not names) change with any call.
    static func tree(_ daemon: DaemonHarness) throws -> Set<String> {
        var paths = Set<String>()
        let base = daemon.directory.path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return paths }
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasSuffix("-wal") || name.hasSuffix("-shm") || name.hasSuffix("-journal") { continue }
            paths.insert(relative)
        }
        return paths
    }
}

/// sha256 of bytes, through the system's sha256sum (the test target links no crypto).
enum SHA256Hex {
    static func of(_ data: Data) -> String {
        let result = try? CommandResult.run("/usr/bin/sha256sum", [], stdin: data)
        return String((result?.stdout ?? "").prefix(64))
    }
}
