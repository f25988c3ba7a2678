import BerthTestSupport
import Crypto
import Foundation
import NIOHTTP1
import Synchronization

/// A Docker token server (distribution's `auth: token:` protocol): issues ES256
/// JWTs signed by a key whose self-signed certificate the registry trusts.
final class TokenServer: Sendable {
    static let service = "berth-test-registry"
    static let issuer = "berth-test-issuer"

    let server: TestHTTPServer
    /// The certificate bundle the registry verifies tokens with.
    let certificatePath: String
    let directory: TemporaryDirectory

    var realm: String { "http://\(server.host)/token" }

    /// Token requests received.
    var tokenRequests: [TestRequest] { server.requests.filter { $0.path == "/token" } }

    private init(server: TestHTTPServer, certificatePath: String, directory: TemporaryDirectory) {
        self.server = server
        self.certificatePath = certificatePath
        self.directory = directory
    }

    /// Starts a token server that accepts `username`/`password` (Basic) only.
    static func start(username: String, password: String) async throws -> TokenServer {
        let directory = try TemporaryDirectory(prefix: "berth-token")
        let key = P256.Signing.PrivateKey()
        let keyPath = directory.path + "/key.pem"
        let certificatePath = directory.path + "/cert.pem"
        try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-new", "-key", keyPath, "-subj", "/CN=berth-test-token", "-days", "2", "-out",
                certificatePath,
            ],
            timeout: 30)
        let pem = try String(contentsOfFile: certificatePath, encoding: .utf8)
        let der = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let expected = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        let server = try await TestHTTPServer.start { request in
            guard request.path == "/token" else { return TestResponse(.notFound) }
            guard request.headers.first(name: "Authorization") == expected else {
                return TestResponse(.unauthorized, body: Array(#"{"details":"bad credentials"}"#.utf8))
            }
            let scopes = request.query["scope"] ?? []
            guard let token = try? makeToken(key: key, certificate: der, subject: username, scopes: scopes) else {
                return TestResponse(.internalServerError)
            }
            let body = #"{"token":"\#(token)","access_token":"\#(token)","expires_in":300}"#
            return TestResponse(.ok, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        }
        return TokenServer(server: server, certificatePath: certificatePath, directory: directory)
    }

    func stop() async {
        await server.stop()
        directory.remove()
    }

    private static func makeToken(key: P256.Signing.PrivateKey, certificate: String, subject: String, scopes: [String])
        throws -> String
    {
        var access: [[String: Any]] = []
        for scope in scopes {
            let parts = scope.split(separator: ":")
            guard parts.count >= 3 else { continue }
            let actions = parts[parts.count - 1].split(separator: ",").map(String.init)
            let name = parts[1..<(parts.count - 1)].joined(separator: ":")
            access.append(["type": String(parts[0]), "name": name, "actions": actions])
        }
        let now = Int(Date().timeIntervalSince1970)
        let header: [String: Any] = ["alg": "ES256", "typ": "JWT", "x5c": [certificate]]
        let claims: [String: Any] = [
            "iss": issuer, "sub": subject, "aud": service, "exp": now + 300, "nbf": now - 30, "iat": now,
            "jti": UUID().uuidString, "access": access,
        ]
        let signingInput =
            base64URL(try JSONSerialization.data(withJSONObject: header)) + "."
            + base64URL(try JSONSerialization.data(withJSONObject: claims))
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + base64URL(signature.rawRepresentation)
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A fake registry serving one image whose layer response a test scripts.
struct FakeImage: Sendable {
    let config: [UInt8]
    let layer: [UInt8]
    let manifest: [UInt8]
    let manifestDigest: String
    let layerDigest: String

    /// `layerDescriptorSize` lets a test claim a size the layer bytes do not have.
    init(layerBytes: [UInt8], layerDescriptorSize: Int? = nil, claimedLayerDigest: String? = nil) {
        let config = Array(
            #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#
                .utf8)
        self.config = config
        layer = layerBytes
        let layerDigest =
            claimedLayerDigest ?? "sha256:" + SHA256.hash(data: layerBytes).map { String(format: "%02x", $0) }.joined()
        self.layerDigest = layerDigest
        let configDigest = "sha256:" + SHA256.hash(data: config).map { String(format: "%02x", $0) }.joined()
        let manifest = Array(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layerDigest)","size":\#(layerDescriptorSize ?? layerBytes.count)}]}"#
                .utf8)
        self.manifest = manifest
        manifestDigest = "sha256:" + SHA256.hash(data: manifest).map { String(format: "%02x", $0) }.joined()
    }

    /// Serves `/v2/`, the manifest (as `fake:latest`), the config, and the layer via `layerResponse`.
    func handler(layerResponse: @escaping @Sendable (TestRequest) -> TestResponse) -> TestHTTPServer.Handler {
        let copy = self
        return { request in
            let path = request.path
            if path == "/v2/" { return TestResponse(.ok) }
            if path == "/v2/fake/manifests/latest" || path == "/v2/fake/manifests/\(copy.manifestDigest)" {
                return TestResponse(
                    .ok,
                    headers: [
                        ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                        ("Docker-Content-Digest", copy.manifestDigest),
                    ], body: copy.manifest)
            }
            if path.hasPrefix("/v2/fake/blobs/"), path.hasSuffix(String(copy.layerDigest.dropFirst(7))) {
                return layerResponse(request)
            }
            if path.hasPrefix("/v2/fake/blobs/sha256:") {
                return TestResponse(.ok, body: copy.config)
            }
            return TestResponse(.notFound)
        }
    }

    /// Serves `bytes` honouring `Range: bytes=N-` (206, or 416 past the end).
    static func ranged(_ bytes: [UInt8], _ request: TestRequest) -> TestResponse {
        guard let range = request.headers.first(name: "Range"), range.hasPrefix("bytes="),
            let start = Int(range.dropFirst(6).prefix { $0.isNumber })
        else {
            return TestResponse(.ok, body: bytes)
        }
        guard start < bytes.count else {
            return TestResponse(.rangeNotSatisfiable, headers: [("Content-Range", "bytes */\(bytes.count)")])
        }
        return TestResponse(
            .partialContent, headers: [("Content-Range", "bytes \(start)-\(bytes.count - 1)/\(bytes.count)")],
            body: Array(bytes[start...]))
    }
}
