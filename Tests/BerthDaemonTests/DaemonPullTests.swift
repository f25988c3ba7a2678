import BerthAPI
import BerthTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

/// Berth's server-side pull (`berth.services.images.v1.Transfer/Pull`, and
/// `Unpack`) against a real berthd and a loopback docker-registry, checked
/// with Debian's ctr: the image is complete and unpacked, content carries
/// containerd's labels, no lease is left, and a failed pull leaves nothing.
@Suite(.enabled(if: PullFixture.unavailableReason == nil, "berthd, ctr, docker-registry or skopeo unavailable"))
struct DaemonPullTests {
    @Test func pullStreamsProgressPerLayerAndLeavesWhatCtrLeaves() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let ns = "pull-ok"
        let reference = try fixture.pushBusybox(as: "berth/busybox:latest")

        let messages = try await fixture.pull(reference, namespace: ns)
        let result = try #require(messages.last?.result, "the stream ends with the result")
        #expect(result.name == reference)
        #expect(result.snapshotter == "overlayfs" || result.snapshotter == "native")
        #expect(result.chainID.hasPrefix("sha256:"))
        #expect(result.created)
        let blobs = messages.compactMap { message -> Berth_Services_Images_V1_BlobProgress? in
            if case .blob(let blob)? = message.event { return blob }
            return nil
        }
        let layers = Set(blobs.filter { $0.kind == "layer" }.map(\.digest))
        #expect(layers.count == 1, "busybox has one layer: \(blobs)")
        for layer in layers {
            let statuses = blobs.filter { $0.digest == layer }.map(\.status)
            #expect(statuses.contains(.downloading), "\(statuses)")
            #expect(statuses.last == .done, "\(statuses)")
            let last = try #require(blobs.last { $0.digest == layer })
            #expect(last.offset == last.total && last.total > 0)
        }
        #expect(blobs.contains { $0.kind == "config" && $0.status == .done })
        #expect(blobs.contains { $0.kind == "manifest" && $0.status == .done })

        // What ctr sees.
        let daemon = fixture.daemon
        let list = try daemon.ctr(["images", "ls"], namespace: ns)
        #expect(list.stdout.contains(reference), "\(list.stdout)")
        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.stdout.contains("complete (2/2)"), "\(check.stdout)")
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")
        let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: ns)
        #expect(snapshots.stdout.contains(result.chainID), "\(snapshots.stdout)")
        #expect(snapshots.stdout.contains("Committed"), "\(snapshots.stdout)")
        let content = try daemon.ctr(["content", "ls"], namespace: ns).stdout
        #expect(content.contains("containerd.io/uncompressed=sha256:"), "\(content)")
        #expect(content.contains("containerd.io/gc.ref.snapshot.\(result.snapshotter)=\(result.chainID)"), "\(content)")
        #expect(content.contains("containerd.io/gc.ref.content.config="), "\(content)")
        #expect(content.contains("containerd.io/distribution.source.127.0.0.1=berth/busybox"), "\(content)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty)
        let info = try daemon.ctr(["snapshots", "info", result.chainID], namespace: ns).stdout
        #expect(info.contains("\"Kind\": \"Committed\""), "\(info)")

        // Again: everything exists; the record is updated, not created.
        let again = try await fixture.pull(reference, namespace: ns)
        let second = try #require(again.last?.result)
        #expect(!second.created)
        #expect(second.chainID == result.chainID)
        #expect(again.contains { $0.blob.kind == "layer" && $0.blob.status == .exists })
        #expect(try daemon.ctr(["images", "ls", "-q"], namespace: ns).stdout.split(separator: "\n").count == 1)
    }

    @Test func missingTagOrRepositoryIsNotFoundAndLeavesNothing() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let ns = "pull-missing"
        let reference = try fixture.pushBusybox(as: "berth/busybox:latest")
        let missingTag = reference.replacingOccurrences(of: ":latest", with: ":no-such-tag")
        let missingRepository = "\(fixture.registry.host)/berth/no-such-repo:latest"
        for bad in [missingTag, missingRepository] {
            let error = await #expect(throws: RPCError.self) { try await fixture.pull(bad, namespace: ns) }
            #expect(error?.code == .notFound, "\(bad): \(String(describing: error))")
            #expect(error?.message.contains("no-such") == true, "\(String(describing: error))")
        }
        let invalid = await #expect(throws: RPCError.self) {
            try await fixture.pull("127.0.0.1:1/UPPER/case", namespace: ns)
        }
        #expect(invalid?.code == .invalidArgument, "\(String(describing: invalid))")

        let daemon = fixture.daemon
        #expect(try daemon.ctr(["images", "ls", "-q"], namespace: ns).stdout.isEmpty)
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty)
        #expect(try daemon.ctr(["content", "ls", "-q"], namespace: ns).stdout.isEmpty)
        #expect(try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout.split(separator: "\n").count <= 1)
    }

    /// Three layers, the first and the last the same blob (the registry
    /// client downloads it once; the unpack reads the repeat from the store).
    @Test func repeatedLayerIsUnpackedFromTheStore() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let ns = "pull-layers"
        let layout = try PullFixture.makeLayeredImage(in: fixture.daemon.directory.path + "/layered")
        let reference = "\(fixture.registry.host)/berth/layered:v1"
        try fixture.push(layout: layout, tag: "v1", to: reference)

        let messages = try await fixture.pull(reference, namespace: ns)
        let result = try #require(messages.last?.result)
        let layerDigests = Set(messages.filter { $0.blob.kind == "layer" }.map(\.blob.digest))
        #expect(layerDigests.count == 2)
        for digest in layerDigests {
            #expect(messages.last { $0.blob.digest == digest }?.blob.status == .done)
        }
        let daemon = fixture.daemon
        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.stdout.contains("complete"), "\(check.stdout)")
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")
        let committed = try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout
            .split(separator: "\n").filter { $0.contains("Committed") }
        #expect(committed.count == 3, "\(committed)")
        #expect(committed.contains { $0.hasPrefix(result.chainID) })
        let mounts = try daemon.ctr(["snapshots", "view", "look", result.chainID], namespace: ns)
        #expect(mounts.status == 0, "\(mounts.stderr)")
    }

    /// Three pulls of one image racing in one namespace: each finds some blobs
    /// being written by another (it waits, then reads them from the store
    /// into its unpack) and together they leave one complete, unpacked image.
    @Test func concurrentPullsOfOneImage() async throws {
        let fixture = try await PullFixture.start()
        defer { fixture.stop() }
        let ns = "pull-race"
        let layout = try PullFixture.makeLayeredImage(in: fixture.daemon.directory.path + "/layered")
        let reference = "\(fixture.registry.host)/berth/layered:v1"
        try fixture.push(layout: layout, tag: "v1", to: reference)

        let address = fixture.daemon.address
        async let first = PullFixture.pull(reference, namespace: ns, address: address)
        async let second = PullFixture.pull(reference, namespace: ns, address: address)
        async let third = PullFixture.pull(reference, namespace: ns, address: address)
        let results = try await [first, second, third].map { try #require($0.last?.result) }
        #expect(Set(results.map(\.chainID)).count == 1)
        #expect(results.filter(\.created).count == 1)
        let daemon = fixture.daemon
        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty)
        let committed = try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout
            .split(separator: "\n").filter { $0.contains("Committed") }
        #expect(committed.count == 3, "\(committed)")
        let active = try daemon.ctr(["snapshots", "ls"], namespace: ns).stdout
            .split(separator: "\n").filter { $0.contains("Active") }
        #expect(active.isEmpty, "\(active)")
    }

    /// Unpack applies an image imported without unpacking (`ctr images import
    /// --no-unpack`) and labels it as a pull does; an unknown image is NotFound.
    @Test func unpackAppliesAnImportedImage() async throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        try daemon.start()
        let ns = "unpack"
        let archive = try DaemonImageTests.makeArchive(in: daemon)
        let imported = try daemon.ctr(["images", "import", "--no-unpack", archive], namespace: ns)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try daemon.ctr(["images", "check"], namespace: ns).stdout.contains("false"))

        let messages = try await PullFixture.unpack(
            DaemonImageTests.imageName, namespace: ns, address: daemon.address)
        let result = try #require(messages.last?.result)
        #expect(result.chainID.hasPrefix("sha256:"))
        #expect(messages.contains { $0.blob.kind == "layer" && $0.blob.status == .unpacking })
        #expect(messages.filter { $0.blob.kind == "layer" }.last?.blob.status == .done)
        let check = try daemon.ctr(["images", "check"], namespace: ns)
        #expect(check.stdout.contains("true"), "unpacked: \(check.stdout)")
        let content = try daemon.ctr(["content", "ls"], namespace: ns).stdout
        #expect(content.contains("containerd.io/uncompressed="), "\(content)")
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: ns).stdout.isEmpty)

        let missing = await #expect(throws: RPCError.self) {
            try await PullFixture.unpack("no/such:image", namespace: ns, address: daemon.address)
        }
        #expect(missing?.code == .notFound, "\(String(describing: missing))")
    }
}

/// A berthd, a loopback registry, and helpers to push and pull.
struct PullFixture {
    static let skopeo = "/usr/bin/skopeo"

    static var unavailableReason: String? {
        if let reason = DaemonHarness.unavailableReason { return reason }
        if !RegistryFixture.isAvailable { return "docker-registry not installed" }
        if !FileManager.default.isExecutableFile(atPath: skopeo) { return "skopeo not installed" }
        return nil
    }

    let daemon: DaemonHarness
    let registry: RegistryFixture

    static func start() async throws -> PullFixture {
        let daemon = try DaemonHarness()
        do {
            try daemon.start()
            let registry = try await RegistryFixture.start()
            return PullFixture(daemon: daemon, registry: registry)
        } catch {
            daemon.cleanup()
            throw error
        }
    }

    func stop() {
        registry.stop()
        daemon.cleanup()
    }

    /// The busybox test image's OCI layout (hack/make-test-image.sh), built
    /// into the harness directory if `out/image` is missing.
    func busyboxLayout() throws -> String {
        let prebuilt = SchemaValidator.repositoryRoot + "/out/image/busybox"
        if FileManager.default.fileExists(atPath: prebuilt + "/index.json") { return prebuilt }
        let out = daemon.directory.path + "/image"
        try Self.run("/bin/bash", [SchemaValidator.repositoryRoot + "/hack/make-test-image.sh", out])
        return out + "/busybox"
    }

    /// Pushes busybox as `<registry>/<path>`; returns the full reference.
    func pushBusybox(as path: String) throws -> String {
        let reference = "\(registry.host)/\(path)"
        try push(layout: try busyboxLayout(), tag: "latest", to: reference)
        return reference
    }

    func push(layout: String, tag: String, to reference: String) throws {
        try Self.run(
            Self.skopeo,
            ["copy", "--quiet", "--dest-tls-verify=false", "oci:\(layout):\(tag)", "docker://\(reference)"])
    }

    /// Calls Pull (plain HTTP, unpack) and collects every streamed message.
    func pull(_ reference: String, namespace: String) async throws -> [Berth_Services_Images_V1_PullProgress] {
        try await Self.pull(reference, namespace: namespace, address: daemon.address)
    }

    /// Calls Pull on the berthd at `address`.
    static func pull(_ reference: String, namespace: String, address: String) async throws
        -> [Berth_Services_Images_V1_PullProgress]
    {
        var request = Berth_Services_Images_V1_PullRequest()
        request.reference = reference
        request.plainHTTP = true
        request.unpack = true
        var metadata = Metadata()
        metadata.addString(namespace, forKey: "containerd-namespace")
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await Berth_Services_Images_V1_Transfer.Client(wrapping: client).pull(request, metadata: metadata) {
                response in
                var messages: [Berth_Services_Images_V1_PullProgress] = []
                for try await message in response.messages {
                    messages.append(message)
                }
                return messages
            }
        }
    }

    /// Calls Unpack on the berthd at `address`.
    static func unpack(_ name: String, namespace: String, address: String) async throws
        -> [Berth_Services_Images_V1_PullProgress]
    {
        var request = Berth_Services_Images_V1_UnpackRequest()
        request.name = name
        var metadata = Metadata()
        metadata.addString(namespace, forKey: "containerd-namespace")
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await Berth_Services_Images_V1_Transfer.Client(wrapping: client).unpack(request, metadata: metadata) {
                response in
                var messages: [Berth_Services_Images_V1_PullProgress] = []
                for try await message in response.messages {
                    messages.append(message)
                }
                return messages
            }
        }
    }

    /// Runs a tool to completion (TestProcess: reaped by pid); throws with its output on failure.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> String {
        let scratch = try TemporaryDirectory(prefix: "berth-run")
        defer { scratch.remove() }
        let out = scratch.path + "/out"
        let err = scratch.path + "/err"
        let process = try TestProcess(program, arguments, stdout: out, stderr: err)
        guard let status = process.wait(timeout: timeout) else {
            process.terminate(grace: .seconds(2))
            throw HarnessError("\(program) timed out")
        }
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw HarnessError("\(program) \(arguments.joined(separator: " ")) exited \(status): \(stderr)\(stdout)")
        }
        return stdout
    }

    /// An OCI layout (tag `v1`) with three gzip layers, A B A: the first and
    /// last are the same blob, so their chain IDs differ but the digest repeats.
    static func makeLayeredImage(in directory: String) throws -> String {
        let script = """
            import gzip, hashlib, io, json, os, sys, tarfile
            out = sys.argv[1]
            os.makedirs(out + '/blobs/sha256', exist_ok=True)
            def blob(data):
                d = hashlib.sha256(data).hexdigest()
                open(out + '/blobs/sha256/' + d, 'wb').write(data)
                return 'sha256:' + d
            def layer(files):
                raw = io.BytesIO()
                with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as t:
                    for name, data in files:
                        i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1500000000; i.mode = 0o644
                        t.addfile(i, io.BytesIO(data))
                tar = raw.getvalue()
                z = gzip.compress(tar, mtime=0)
                return {'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': blob(z), 'size': len(z)}, 'sha256:' + hashlib.sha256(tar).hexdigest()
            a, da = layer([('a.txt', b'layer a\\n' * 1000)])
            b, db = layer([('b.txt', os.urandom(300000))])
            arch = {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(os.uname().machine, os.uname().machine)
            config = json.dumps({'architecture': arch, 'os': 'linux', 'config': {'Cmd': ['/bin/sh']},
                                 'rootfs': {'type': 'layers', 'diff_ids': [da, db, da]}}).encode()
            cd = blob(config)
            manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                                   'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': len(config)},
                                   'layers': [a, b, a]}).encode()
            md = blob(manifest)
            json.dump({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                       'digest': md, 'size': len(manifest), 'annotations': {'org.opencontainers.image.ref.name': 'v1'}}]},
                      open(out + '/index.json', 'w'))
            open(out + '/oci-layout', 'w').write('{"imageLayoutVersion":"1.0.0"}')
            """
        try run("/usr/bin/python3", ["-c", script, directory])
        return directory
    }
}
