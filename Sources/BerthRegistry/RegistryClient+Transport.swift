import AsyncHTTPClient
import BerthErrors
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// One distribution-API request, replayable for auth retries and redirects.
struct RegistryRequest: Sendable {
    var method: HTTPMethod = .GET
    var url: String
    var headers = HTTPHeaders()
    /// Makes the body afresh for each attempt.
    var body: (@Sendable () -> HTTPClientRequest.Body)?
    /// The token scopes the request needs, e.g. `repository:library/busybox:pull`.
    var scopes: [String]
    /// Blob transfers have no overall deadline; the read timeout still applies.
    var isTransfer = false
}

extension RegistryClient {
    /// Sends `request` to `endpoint`, answering auth challenges (at most twice)
    /// and following redirects (without credentials when they leave the host).
    /// Returns the final response; the caller checks its status and consumes the body.
    func perform(_ request: RegistryRequest, endpoint: RegistryEndpoint) async throws -> HTTPClientResponse {
        var url = request.url
        var method = request.method
        var body = request.body
        var scopes = request.scopes
        var redirects = 0
        var authRounds = 0
        let tls = try tlsConfiguration(for: endpoint)
        while true {
            try Task.checkCancellation()
            var outgoing = HTTPClientRequest(url: url)
            outgoing.method = method
            outgoing.headers = request.headers
            outgoing.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
            let sameHost = Self.origin(of: url) == "\(endpoint.scheme)://\(endpoint.host)"
            var sentAuthorization: String?
            if sameHost {
                for (name, values) in endpoint.headers {
                    for value in values { outgoing.headers.add(name: name, value: value) }
                }
                sentAuthorization = try await authorizer.authorization(host: endpoint.host, scopes: scopes)
                if let sentAuthorization {
                    outgoing.headers.replaceOrAdd(name: "Authorization", value: sentAuthorization)
                }
                outgoing.tlsConfiguration = tls
            }
            if let body { outgoing.body = body() }
            let deadline =
                request.isTransfer
                ? NIODeadline.distantFuture
                : NIODeadline.now() + .nanoseconds(Self.nanoseconds(configuration.requestTimeout))
            logger.trace("registry request", metadata: ["method": "\(method)", "url": "\(url)"])
            let response: HTTPClientResponse
            do {
                response = try await http.execute(outgoing, deadline: deadline, logger: logger)
            } catch {
                throw RegistryError(.unavailable, "\(method) \(url): \(error)")
            }
            let status = response.status.code
            if status == 401, sameHost, authRounds < 2 {
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                await discard(response)
                guard
                    let retryScopes = try await authorizer.challenged(
                        host: endpoint.host, challenges: challenges, scopes: scopes, rejected: sentAuthorization)
                else {
                    let why =
                        challenges.isEmpty
                        ? "no WWW-Authenticate challenge"
                        : sentAuthorization == nil
                            ? "authentication required and no credentials for \(endpoint.host)"
                            : "credentials for \(endpoint.host) were rejected"
                    throw RegistryError(.permissionDenied, "\(method) \(url): HTTP 401: \(why)")
                }
                scopes = retryScopes
                authRounds += 1
                continue
            }
            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") {
                await discard(response)
                redirects += 1
                guard redirects <= configuration.limits.maxRedirects else {
                    throw RegistryError(.unavailable, "\(method) \(request.url): too many redirects")
                }
                url = Self.resolve(location, against: url)
                if status == 303 || ((status == 301 || status == 302) && method == .POST) {
                    method = method == .HEAD ? .HEAD : .GET
                    body = nil
                }
                continue
            }
            return response
        }
    }

    /// The error for an unexpected response, with the registry's error message.
    func unexpected(_ response: HTTPClientResponse, _ what: String) async -> RegistryError {
        let detail = await errorDetail(response)
        return RegistryError.http(status: Int(response.status.code), what, detail: detail)
    }

    /// Reads (a bounded prefix of) an error body and extracts distribution-spec errors.
    func errorDetail(_ response: HTTPClientResponse) async -> String? {
        var collected: [UInt8] = []
        do {
            for try await chunk in response.body {
                collected += chunk.readableBytesView.prefix(configuration.limits.maxErrorBodySize - collected.count)
                if collected.count >= configuration.limits.maxErrorBodySize { break }
            }
        } catch {
            return nil
        }
        struct Envelope: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Item]?
        }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(collected)), let errors = envelope.errors,
            !errors.isEmpty
        {
            return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }
                .joined(separator: "; ")
        }
        let text = String(decoding: collected.prefix(512), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Drains a response body we do not need (bounded), so the connection can be reused.
    func discard(_ response: HTTPClientResponse) async {
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    func tlsConfiguration(for endpoint: RegistryEndpoint) throws -> TLSConfiguration? {
        guard endpoint.scheme == "https" else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if endpoint.skipVerify {
            tls.certificateVerification = .none
        }
        if !endpoint.caFiles.isEmpty {
            tls.additionalTrustRoots = endpoint.caFiles.map { .file($0) }
        }
        if let client = endpoint.clientCertificates.first {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(client.certificateFile).map {
                    .certificate($0)
                }
                tls.privateKey = .privateKey(
                    try NIOSSLPrivateKey(file: client.keyFile ?? client.certificateFile, format: .pem))
            } catch {
                throw RegistryError.invalid(
                    "cannot load client certificate \(client.certificateFile) for \(endpoint.host): \(error)")
            }
        }
        return tls
    }

    /// True for failures worth retrying: transport errors, 429 and 5xx.
    static func isRetryable(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let error = error as? RegistryError { return error.code == .unavailable }
        if error is any BerthError { return false }
        return true
    }

    /// Sleeps for the policy's back-off after failed attempt `attempt`.
    func backOff(afterAttempt attempt: Int) async throws {
        try await Task.sleep(for: configuration.retry.delay(afterAttempt: attempt))
    }

    /// Runs `operation`, retrying retryable failures with back-off.
    func withRetries<T: Sendable>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard attempt < configuration.retry.maxAttempts, Self.isRetryable(error) else { throw error }
                logger.debug(
                    "retrying", metadata: ["what": "\(what)", "attempt": "\(attempt)", "error": "\(error)"])
                try await backOff(afterAttempt: attempt)
                attempt += 1
            }
        }
    }

    /// Runs `operation` on each endpoint in order until one succeeds (containerd's
    /// host fallback). Endpoints that failed with a retryable error are tried
    /// again, in order, after a back-off, up to the policy's attempt count.
    /// Throws the last error, which comes from the last endpoint tried.
    func acrossEndpoints<T: Sendable>(
        _ endpoints: [RegistryEndpoint], _ what: String, _ operation: (RegistryEndpoint) async throws -> T
    ) async throws -> T {
        var candidates = endpoints
        var lastError: (any Error)?
        var round = 1
        while !candidates.isEmpty {
            var again: [RegistryEndpoint] = []
            for endpoint in candidates {
                do {
                    return try await operation(endpoint)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    lastError = error
                    logger.debug(
                        "endpoint failed",
                        metadata: ["what": "\(what)", "endpoint": "\(endpoint.apiRoot)", "error": "\(error)"])
                    if Self.isRetryable(error) { again.append(endpoint) }
                }
            }
            guard !again.isEmpty, round < configuration.retry.maxAttempts else { break }
            try await backOff(afterAttempt: round)
            round += 1
            candidates = again
        }
        throw lastError ?? RegistryError(.notFound, "\(what): no endpoint to ask")
    }

    // MARK: URLs

    /// `scheme://host` of a URL.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "" }
        let rest = url[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return url[..<schemeEnd.upperBound].lowercased() + host
    }

    /// Resolves a `Location` header against the URL it came from.
    static func resolve(_ location: String, against base: String) -> String {
        if location.contains("://") { return location }
        if location.hasPrefix("//") {
            let scheme = base.prefix { $0 != ":" }
            return "\(scheme):\(location)"
        }
        if location.hasPrefix("/") { return origin(of: base) + location }
        let withoutQuery = base.prefix { $0 != "?" && $0 != "#" }
        guard let slash = withoutQuery.lastIndex(of: "/") else { return base + "/" + location }
        return String(withoutQuery[...slash]) + location
    }

    /// The URL of an API path on an endpoint, e.g. `/library/busybox/manifests/latest`.
    static func url(_ endpoint: RegistryEndpoint, _ path: String) -> String {
        endpoint.apiRoot + path
    }

    /// Appends query parameters to a URL that may already have some (upload locations do).
    static func appendingQuery(_ url: String, _ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return url }
        let query = items.map { "\($0.0)=\(Authorizer.formEncode($0.1))" }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + query
    }
}
