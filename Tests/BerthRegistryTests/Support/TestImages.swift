import BerthContent
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import Logging
import Synchronization
import BerthErrors

/// Test logger: warnings and errors only (set BERTH_TEST_DEBUG=1 for everything).
let testLogger: Logger = {
    var logger = Logger(label: "berth.registry.tests")
    logger.logLevel = ProcessInfo.processInfo.environment["BERTH_TEST_DEBUG"] == nil ? .warning : .trace
    return logger
}()

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// Runs a program with arguments and a time limit; returns stdout, throws on failure.
@discardableResult
func run(_ program: String, _ arguments: [String], timeout: TimeInterval = 120, environment: [String: String]? = nil)
    throws -> String
{
    let scratch = try TemporaryDirectory(prefix: "berth-run")
    defer { scratch.remove() }
    let outPath = scratch.path + "/out"
    let errPath = scratch.path + "/err"
    let env = environment.map { ProcessInfo.processInfo.environment.merging($0) { _, new in new } }
    let process = try TestProcess(program, arguments, stdout: outPath, stderr: errPath, environment: env)
    guard let status = process.wait(timeout: .seconds(timeout)) else {
        process.terminate(grace: .seconds(2))
        throw FixtureError("\(program) \(arguments.joined(separator: " ")) timed out after \(timeout)s")
    }
    let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    guard status == 0 else {
        throw FixtureError("\(program) \(arguments.joined(separator: " ")) exited \(status): \(stderr)\(stdout)")
    }
    return stdout
}

/// The busybox test image built once per test run by hack/make-test-image.sh,
/// plus a two-platform variant (the same layer under an amd64 and an arm64 config).
actor TestImages {
    static let shared = TestImages()

    struct Paths: Sendable {
        /// OCI layout directory of the busybox image (tag `latest`).
        var layout: String
        /// The same as an OCI archive.
        var archive: String
        /// OCI layout with a two-platform index (tag `multi`).
        var multiLayout: String
        /// The busybox manifest digest.
        var manifestDigest: Digest
        /// The two-platform index digest.
        var indexDigest: Digest
        /// The arm64 manifest's digest in the two-platform index.
        var arm64ManifestDigest: Digest
    }

    private var built: Paths?
    private var directory: TemporaryDirectory?

    func paths() throws -> Paths {
        if let built { return built }
        let directory = try TemporaryDirectory(prefix: "berth-images")
        self.directory = directory
        let output = try run(
            "/bin/bash", ["\(repositoryRoot)/hack/make-test-image.sh", directory.path + "/out"], timeout: 120)
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("manifest:") }),
            let digest = Digest(String(line.dropFirst("manifest:".count).trimmingCharacters(in: .whitespaces)))
        else {
            throw FixtureError("make-test-image.sh printed no manifest digest: \(output)")
        }
        let layout = directory.path + "/out/busybox"
        let multi = try Self.makeMultiPlatform(from: layout, manifest: digest, into: directory.path + "/multi")
        let paths = Paths(
            layout: layout, archive: directory.path + "/out/busybox.oci.tar", multiLayout: directory.path + "/multi",
            manifestDigest: digest, indexDigest: multi.index, arm64ManifestDigest: multi.arm64)
        built = paths
        return paths
    }

    /// Copies the layout and adds an arm64 manifest (config with architecture arm64,
    /// same layer) under a two-entry index tagged `multi`.
    private static func makeMultiPlatform(from layout: String, manifest digest: Digest, into target: String) throws
        -> (index: Digest, arm64: Digest)
    {
        try FileManager.default.copyItem(atPath: layout, toPath: target)
        let blobs = target + "/blobs/sha256/"
        func read(_ digest: Digest) throws -> [UInt8] {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: blobs + digest.encoded)))
        }
        func write(_ bytes: [UInt8]) throws -> Digest {
            let digest = Digest.sha256(of: bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: blobs + digest.encoded))
            return digest
        }
        let manifestBytes = try read(digest)
        var manifest = try JSONDecoder().decode(Manifest.self, from: Data(manifestBytes))
        var config = try JSONDecoder().decode(ImageConfig.self, from: Data(try read(manifest.config.digest)))
        let hostConfig = config
        config.architecture = hostConfig.architecture == "arm64" ? "amd64" : "arm64"
        config.variant = nil
        let configBytes = [UInt8](try JSONEncoder().encode(config))
        manifest.config = Descriptor(
            mediaType: .ociConfig, digest: try write(configBytes), size: Int64(configBytes.count))
        let otherBytes = [UInt8](try JSONEncoder().encode(manifest))
        let other = try write(otherBytes)
        let index = Index(manifests: [
            Descriptor(
                mediaType: .ociManifest, digest: digest, size: Int64(manifestBytes.count),
                platform: hostConfig.platform),
            Descriptor(
                mediaType: .ociManifest, digest: other, size: Int64(otherBytes.count), platform: config.platform),
        ])
        let indexBytes = [UInt8](try JSONEncoder().encode(index))
        let indexDigest = try write(indexBytes)
        let top = Index(manifests: [
            Descriptor(
                mediaType: .ociIndex, digest: indexDigest, size: Int64(indexBytes.count),
                annotations: [AnnotationKey.refName: "multi"])
        ])
        try Data(try JSONEncoder().encode(top)).write(to: URL(fileURLWithPath: target + "/index.json"))
        let arm64 = config.architecture == "arm64" ? other : digest
        return (indexDigest, arm64)
    }
}

/// A content store (with its metadata database) in a temporary directory.
final class TestStore: Sendable {
    let directory: TemporaryDirectory
    let store: ContentStore
    let access: NamespacedContent
    let database: Database

    init() throws {
        directory = try TemporaryDirectory(prefix: "berth-content")
        database = try Database(path: directory.path + "/metadata.db", logger: testLogger)
        store = try ContentStore(root: directory.path + "/content", metadata: database, logger: testLogger)
        access = store.access(namespace: "default")
    }

    func has(_ digest: Digest) throws -> Bool {
        try store.contains(digest, namespace: "default")
    }

    func labels(_ digest: Digest) throws -> [String: String] {
        try store.info(digest, namespace: "default").labels
    }

    func bytes(_ digest: Digest) throws -> [UInt8] {
        try store.readBlob(digest, namespace: "default", limit: 64 << 20)
    }

    func remove() {
        directory.remove()
    }
}

/// Pushes an OCI layout tag to a registry with skopeo (the independent pusher).
func skopeoPush(layout: String, tag: String, to destination: String, all: Bool = false, credentials: String? = nil)
    throws
{
    var arguments = ["copy", "--quiet", "--dest-tls-verify=false"]
    if all { arguments.append("--all") }
    if let credentials { arguments += ["--dest-creds", credentials] }
    arguments += ["oci:\(layout):\(tag)", "docker://\(destination)"]
    try run("/usr/bin/skopeo", arguments, timeout: 120)
}

/// `skopeo inspect --raw` of a transport reference, decoded as JSON.
func skopeoInspectRaw(_ reference: String, extra: [String] = []) throws -> [UInt8] {
    Array(try run("/usr/bin/skopeo", ["inspect", "--raw"] + extra + [reference], timeout: 60).utf8)
}

/// A registry client for tests, plain HTTP to the given hosts, quick retries.
func makeClient(
    plainHTTP: Set<String>, hostsDirectory: String? = nil, credentials: any CredentialsProvider = StaticCredentials(),
    limits: RegistryLimits = RegistryLimits(), maxAttempts: Int = 4
) -> RegistryClient {
    RegistryClient(
        configuration: .init(
            hosts: RegistryHosts(plainHTTP: plainHTTP, hostsDirectory: hostsDirectory), credentials: credentials,
            retry: RetryPolicy(maxAttempts: maxAttempts, initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
            limits: limits, connectTimeout: .seconds(5), readTimeout: .seconds(20), requestTimeout: .seconds(30)),
        logger: testLogger)
}

/// Runs `body` with a client and always shuts the client down.
func withClient<T: Sendable>(_ client: RegistryClient, _ body: (RegistryClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Collects events from a `@Sendable` callback.
final class EventLog<Event: Sendable>: Sendable {
    private let events = Mutex<[Event]>([])

    var all: [Event] { events.withLock { $0 } }

    func append(_ event: Event) {
        events.withLock { $0.append(event) }
    }
}

/// The error code of a thrown Berth error, or nil.
func errorCode(_ body: () async throws -> Void) async -> (ErrorCode, String)? {
    do {
        try await body()
        return nil
    } catch let error as any BerthError {
        return (error.code, error.message)
    } catch {
        return (.unknown, "\(error)")
    }
}
