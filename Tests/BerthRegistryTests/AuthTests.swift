import BerthErrors
import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import Testing

@Suite("Registry authentication", .serialized, .enabled(if: RegistryFixture.isAvailable))
struct AuthTests {
    /// bcrypt of "berth-secret" (cost 5), as docker-registry's htpasswd wants it.
    static let htpasswd = "berth:$2b$05$MkhUd.gt4M5J/0WrbVmxEeNSeoyYlWo8NfpNcHdZ/Rlq6pAxISR9u\n"

    /// Imports the busybox layout into a fresh store (the push source).
    static func sourceStore() async throws -> (TestStore, ImageRecord) {
        let images = try await TestImages.shared.paths()
        let store = try TestStore()
        let records = try await ImageArchives(store: store.access, logger: testLogger).importImages(from: images.layout)
        return (store, try #require(records.first))
    }

    @Test("Basic auth: anonymous is refused, the right credentials push and pull, wrong ones are refused")
    func basic() async throws {
        let dir = try TemporaryDirectory(prefix: "berth-htpasswd")
        defer { dir.remove() }
        try Self.htpasswd.write(toFile: dir.path + "/htpasswd", atomically: true, encoding: .utf8)
        let registry = try await RegistryFixture.start(auth: .htpasswd(path: dir.path + "/htpasswd"))
        defer { registry.stop() }
        let (source, record) = try await Self.sourceStore()
        defer { source.remove() }
        let reference = try ImageReference(parsing: "\(registry.host)/private/busybox:latest")

        let anonymous = await errorCode {
            try await withClient(makeClient(plainHTTP: [registry.host])) { client in
                try await client.push(record.target, to: reference, from: source.access)
            }
        }
        #expect(anonymous?.0 == .permissionDenied)
        #expect(anonymous?.1.contains("no credentials") == true)

        let good = StaticCredentials([registry.host: RegistryCredentials(username: "berth", secret: "berth-secret")])
        try await withClient(makeClient(plainHTTP: [registry.host], credentials: good)) { client in
            try await client.push(record.target, to: reference, from: source.access)
            let store = try TestStore()
            defer { store.remove() }
            let result = try await client.pull(reference, into: store.access)
            #expect(result.target.digest == record.target.digest)
        }

        let bad = StaticCredentials([registry.host: RegistryCredentials(username: "berth", secret: "wrong")])
        let refused = await errorCode {
            try await withClient(makeClient(plainHTTP: [registry.host], credentials: bad)) { client in
                _ = try await client.resolve(reference)
            }
        }
        #expect(refused?.0 == .permissionDenied)
        #expect(refused?.1.contains("rejected") == true)
    }

    @Test("Bearer tokens: WWW-Authenticate → token server → retry, one token per scope set, reused across blobs")
    func bearer() async throws {
        let tokens = try await TokenServer.start(username: "berth", password: "berth-secret")
        let registry: RegistryFixture
        do {
            registry = try await RegistryFixture.start(
                auth: .token(
                    realm: tokens.realm, service: TokenServer.service, issuer: TokenServer.issuer,
                    rootCertBundle: tokens.certificatePath))
        } catch {
            await tokens.stop()
            throw error
        }
        defer { registry.stop() }
        let (source, record) = try await Self.sourceStore()
        defer { source.remove() }
        let reference = try ImageReference(parsing: "\(registry.host)/tokened/busybox:latest")
        let credentials = StaticCredentials([
            registry.host: RegistryCredentials(username: "berth", secret: "berth-secret")
        ])

        do {
            try await withClient(makeClient(plainHTTP: [registry.host], credentials: credentials)) { client in
                try await client.push(record.target, to: reference, from: source.access)
                let pushTokens = tokens.tokenRequests.count
                #expect(pushTokens >= 1)
                #expect(tokens.tokenRequests.allSatisfy { $0.query["service"] == [TokenServer.service] })
                #expect(
                    tokens.tokenRequests.contains {
                        $0.query["scope"]?.contains("repository:tokened/busybox:pull,push") == true
                    })

                let store = try TestStore()
                defer { store.remove() }
                let result = try await client.pull(reference, into: store.access)
                #expect(result.target.digest == record.target.digest)
                // A pull needs one new token (pull scope); the manifest and both blobs share it.
                let pullTokens = tokens.tokenRequests.count - pushTokens
                #expect(pullTokens == 1, "token requests for the pull: \(pullTokens)")
                #expect(tokens.tokenRequests.last?.query["scope"] == ["repository:tokened/busybox:pull"])
            }

            let wrong = StaticCredentials([registry.host: RegistryCredentials(username: "berth", secret: "nope")])
            let refused = await errorCode {
                try await withClient(makeClient(plainHTTP: [registry.host], credentials: wrong)) { client in
                    _ = try await client.resolve(reference)
                }
            }
            #expect(refused?.0 == .permissionDenied)
            #expect(refused?.1.contains("token server") == true)
        } catch {
            await tokens.stop()
            Issue.record("registry log: \(registry.log)")
            throw error
        }
        await tokens.stop()
    }
}
