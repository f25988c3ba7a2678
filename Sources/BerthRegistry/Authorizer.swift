import AsyncHTTPClient
import BerthErrors
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Answers registry auth challenges: Basic with the host's credentials, or a
/// Bearer token from the challenge's realm, cached per host and scope set
/// until it expires. Concurrent requests for the same token share one fetch.
actor Authorizer {
    private struct Token {
        var header: String
        var expires: ContinuousClock.Instant
    }

    private enum Scheme {
        case basic
        case bearer(realm: String, service: String?)
    }

    private let credentials: any CredentialsProvider
    private let http: HTTPClient
    private let userAgent: String
    private let timeout: Duration
    private let logger: Logger
    private var schemes: [String: Scheme] = [:]
    private var tokens: [String: Token] = [:]
    private var inflight: [String: Task<Token, any Error>] = [:]

    init(credentials: any CredentialsProvider, http: HTTPClient, userAgent: String, timeout: Duration, logger: Logger) {
        self.credentials = credentials
        self.http = http
        self.userAgent = userAgent
        self.timeout = timeout
        self.logger = logger
    }

    /// The `Authorization` header for a request to `host` needing `scopes`, if the
    /// host has challenged before; `nil` for anonymous.
    func authorization(host: String, scopes: [String]) async throws -> String? {
        switch schemes[host] {
        case nil:
            return nil
        case .basic:
            guard let credentials = try await credentials.credentials(for: host) else { return nil }
            return Self.basicHeader(credentials)
        case .bearer(let realm, let service):
            return try await token(host: host, realm: realm, service: service, scopes: scopes).header
        }
    }

    /// Records a 401's challenges. Returns the scopes to retry with, or `nil` if a
    /// retry cannot help (the same credentials were just rejected, or no usable challenge).
    func challenged(host: String, challenges: [AuthChallenge], scopes: [String], rejected: String?) async throws
        -> [String]?
    {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }), let realm = bearer.parameters["realm"] {
            var all = Set(scopes)
            if let scope = bearer.parameters["scope"] {
                all.formUnion(scope.split(separator: " ").map(String.init))
            }
            let merged = all.sorted()
            let key = Self.tokenKey(host: host, realm: realm, service: bearer.parameters["service"], scopes: merged)
            if let rejected, tokens[key]?.header == rejected {
                tokens[key] = nil
                return nil
            }
            tokens[key] = nil
            schemes[host] = .bearer(realm: realm, service: bearer.parameters["service"])
            logger.debug("bearer challenge", metadata: ["host": "\(host)", "realm": "\(realm)", "scope": "\(merged)"])
            return merged
        }
        if challenges.contains(where: { $0.scheme == "basic" }) {
            if rejected?.hasPrefix("Basic ") == true { return nil }
            guard try await credentials.credentials(for: host) != nil else { return nil }
            schemes[host] = .basic
            return scopes
        }
        return nil
    }

    // MARK: Tokens

    private func token(host: String, realm: String, service: String?, scopes: [String]) async throws -> Token {
        let key = Self.tokenKey(host: host, realm: realm, service: service, scopes: scopes)
        if let cached = tokens[key], cached.expires > .now {
            return cached
        }
        if let running = inflight[key] {
            return try await running.value
        }
        let credentials = try await credentials.credentials(for: host)
        let task = Task { [http, userAgent, timeout, logger] in
            try await Self.fetchToken(
                http: http, realm: realm, service: service, scopes: scopes, credentials: credentials,
                userAgent: userAgent, timeout: timeout, logger: logger)
        }
        inflight[key] = task
        defer { inflight[key] = nil }
        let token = try await task.value
        tokens[key] = token
        return token
    }

    private static func fetchToken(
        http: HTTPClient, realm: String, service: String?, scopes: [String], credentials: RegistryCredentials?,
        userAgent: String, timeout: Duration, logger: Logger
    ) async throws -> Token {
        guard realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw RegistryError(.permissionDenied, "token realm \"\(realm)\" is not an http(s) URL")
        }
        var request: HTTPClientRequest
        if let credentials, credentials.username.isEmpty {
            // An identity token: OAuth2 refresh-token grant (POST), as containerd does.
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            var form = [("grant_type", "refresh_token"), ("refresh_token", credentials.secret), ("client_id", "berth")]
            if let service { form.append(("service", service)) }
            if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
            let body = form.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        } else {
            var query: [String] = []
            if let service { query.append("service=\(formEncode(service))") }
            for scope in scopes { query.append("scope=\(formEncode(scope))") }
            let separator = realm.contains("?") ? "&" : "?"
            request = HTTPClientRequest(url: query.isEmpty ? realm : realm + separator + query.joined(separator: "&"))
            if let credentials {
                request.headers.add(name: "Authorization", value: basicHeader(credentials))
            }
        }
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        let deadline = NIODeadline.now() + .nanoseconds(RegistryClient.nanoseconds(timeout))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: deadline, logger: logger)
        } catch {
            throw RegistryError(.unavailable, "token request to \(realm) failed: \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            let detail = String(buffer: body).prefix(512)
            throw RegistryError(
                .permissionDenied, "token server \(realm) refused \(scopes): HTTP \(response.status.code): \(detail)")
        }
        struct Reply: Decodable {
            var token: String?
            var accessToken: String?
            var expiresIn: Int?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
                case expiresIn = "expires_in"
            }
        }
        let reply: Reply
        do {
            reply = try JSONDecoder().decode(Reply.self, from: Data(body.readableBytesView))
        } catch {
            throw RegistryError(.permissionDenied, "token server \(realm) sent an invalid reply: \(error)")
        }
        guard let value = reply.token ?? reply.accessToken, !value.isEmpty else {
            throw RegistryError(.permissionDenied, "token server \(realm) sent no token")
        }
        // The spec's minimum lifetime is 60 s; refresh a little early.
        let lifetime = max(reply.expiresIn ?? 60, 10)
        let expires = ContinuousClock.now + .seconds(Double(lifetime) * 0.9)
        logger.debug(
            "got bearer token", metadata: ["realm": "\(realm)", "scopes": "\(scopes)", "expires_in": "\(lifetime)"])
        return Token(header: "Bearer \(value)", expires: expires)
    }

    private static func tokenKey(host: String, realm: String, service: String?, scopes: [String]) -> String {
        "\(host)\u{0}\(realm)\u{0}\(service ?? "")\u{0}\(scopes.sorted().joined(separator: " "))"
    }

    static func basicHeader(_ credentials: RegistryCredentials) -> String {
        "Basic " + Data("\(credentials.username):\(credentials.secret)".utf8).base64EncodedString()
    }

    static func formEncode(_ value: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
