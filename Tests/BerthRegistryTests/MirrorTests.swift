import BerthErrors
import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import NIOHTTP1
import Testing

@Suite("hosts.toml mirrors", .serialized, .enabled(if: RegistryFixture.isAvailable))
struct MirrorTests {
    @Test("mirrors are tried in order (dead, empty, then the server); resolve-less mirrors still serve blobs")
    func fallback() async throws {
        let images = try await TestImages.shared.paths()
        let server = try await RegistryFixture.start()
        defer { server.stop() }
        let empty = try await RegistryFixture.start()
        defer { empty.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(server.host)/library/busybox:latest")
        let deadPort = try RegistryFixture.freePort()

        // A counting proxy in front of the server, used as a pull-only mirror.
        let proxy = ForwardingProxy(upstream: server.host)
        let pullOnly = try await TestHTTPServer.start { await proxy.forward($0) }
        defer {
            Task {
                await pullOnly.stop()
                await proxy.shutdown()
            }
        }

        let hosts = try TemporaryDirectory(prefix: "berth-hosts")
        defer { hosts.remove() }
        try FileManager.default.createDirectory(
            atPath: hosts.path + "/registry.invalid", withIntermediateDirectories: true)
        try """
        server = "http://\(server.host)"

        [host."http://127.0.0.1:\(deadPort)"]
          capabilities = ["pull", "resolve"]

        [host."http://\(empty.host)"]
          capabilities = ["pull", "resolve"]

        [host."http://\(pullOnly.host)"]
          capabilities = ["pull"]
          [host."http://\(pullOnly.host)".header]
            x-berth-mirror = "yes"
        """.write(toFile: hosts.path + "/registry.invalid/hosts.toml", atomically: true, encoding: .utf8)

        let store = try TestStore()
        defer { store.remove() }
        let client = makeClient(plainHTTP: [], hostsDirectory: hosts.path, maxAttempts: 2)
        let result = try await withClient(client) { client in
            try await client.pull(
                ImageReference(parsing: "registry.invalid/library/busybox:latest"), into: store.access)
        }
        #expect(result.target.digest == images.manifestDigest)
        #expect(result.name == "registry.invalid/library/busybox:latest")
        let layer = try #require(result.images.first?.manifest.layers.first)
        #expect(try store.has(layer.digest))

        // The pull-only mirror never resolved the tag but served the blobs, with its header and ?ns=.
        let seen = pullOnly.requests
        #expect(!seen.contains { $0.path.contains("/manifests/latest") })
        let blobRequest = try #require(seen.first { $0.path.hasSuffix(layer.digest.encoded) })
        #expect(blobRequest.headers.first(name: "x-berth-mirror") == "yes")
        #expect(blobRequest.query["ns"] == ["registry.invalid"])
    }

    @Test("with no endpoint able to resolve, a tag cannot be pulled")
    func noResolver() async throws {
        let hosts = try TemporaryDirectory(prefix: "berth-hosts")
        defer { hosts.remove() }
        try FileManager.default.createDirectory(atPath: hosts.path + "/only.invalid", withIntermediateDirectories: true)
        try """
        server = "http://127.0.0.1:9"
        capabilities = ["pull"]
        """.write(toFile: hosts.path + "/only.invalid/hosts.toml", atomically: true, encoding: .utf8)
        let failure = await errorCode {
            try await withClient(makeClient(plainHTTP: [], hostsDirectory: hosts.path)) { client in
                _ = try await client.resolve(ImageReference(parsing: "only.invalid/x:latest"))
            }
        }
        #expect(failure?.0 == .failedPrecondition)
        #expect(failure?.1.contains("resolve") == true)
    }
}
