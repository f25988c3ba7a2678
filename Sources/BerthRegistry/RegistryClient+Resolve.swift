import AsyncHTTPClient
import BerthErrors
public import BerthOCI
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A reference resolved to its root descriptor (an index or a manifest).
public struct ResolvedImage: Sendable {
    /// The reference as asked for.
    public var reference: ImageReference
    /// The root descriptor: media type, digest and size of the index or manifest.
    public var descriptor: Descriptor
    /// The endpoint that answered (a mirror or the registry's server).
    public var endpoint: RegistryEndpoint
    /// The manifest bytes, when resolving had to GET them.
    var content: [UInt8]?
}

extension RegistryClient {
    /// The `Accept` header for manifests: OCI and Docker schema2 manifests and indexes.
    static let manifestAccept = [
        MediaType.ociManifest, .ociIndex, .dockerManifest, .dockerManifestList,
    ].map(\.rawValue).joined(separator: ", ")

    /// Resolves a reference to its root descriptor, trying mirrors in order and then the server.
    ///
    /// A tag needs an endpoint with the `resolve` capability; a digest reference
    /// can be resolved by any endpoint that can `pull`.
    ///
    /// - Throws: `RegistryError(.notFound)` if no endpoint has the manifest,
    ///   `.permissionDenied` for auth failures, `.resourceExhausted` for an oversized
    ///   manifest, `.failedPrecondition` if the content does not match a pinned digest.
    public func resolve(_ reference: ImageReference) async throws -> ResolvedImage {
        let needed: HostCapabilities = reference.digest == nil ? .resolve : .pull
        let endpoints = try endpoints(for: reference, capability: needed)
        do {
            let resolved = try await acrossEndpoints(endpoints, "resolve \(reference)") { endpoint in
                try await resolve(reference, at: endpoint)
            }
            logger.debug(
                "resolved",
                metadata: [
                    "reference": "\(reference)", "digest": "\(resolved.descriptor.digest)",
                    "endpoint": "\(resolved.endpoint.apiRoot)",
                ])
            return resolved
        } catch {
            throw RegistryError.wrap(error, "resolve \(reference)")
        }
    }

    /// The endpoints for a reference's registry that have `capability`, mirrors first.
    func endpoints(for reference: ImageReference, capability: HostCapabilities) throws -> [RegistryEndpoint] {
        let all = try configuration.hosts.endpoints(for: reference.domain)
        let usable = all.filter { $0.capabilities.contains(capability) }
        guard !usable.isEmpty else {
            throw RegistryError(
                .failedPrecondition, "no endpoint for \(reference.domain) has the \(capability) capability")
        }
        return usable
    }

    /// The URL of `/<repository>/<kind>/<reference>` on an endpoint; mirrors get `?ns=<registry>`.
    func apiURL(_ endpoint: RegistryEndpoint, _ reference: ImageReference, _ suffix: String) -> String {
        let url = Self.url(endpoint, "/\(reference.path)/\(suffix)")
        return endpoint.isMirror ? Self.appendingQuery(url, [("ns", reference.domain)]) : url
    }

    static func pullScope(_ reference: ImageReference) -> String {
        "repository:\(reference.path):pull"
    }

    private func resolve(_ reference: ImageReference, at endpoint: RegistryEndpoint) async throws -> ResolvedImage {
        let url = apiURL(endpoint, reference, "manifests/\(reference.manifestReference)")
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestAccept)
        let scopes = [Self.pullScope(reference)]
        let head = try await perform(
            RegistryRequest(method: .HEAD, url: url, headers: headers, scopes: scopes), endpoint: endpoint)
        await discard(head)
        switch head.status.code {
        case 200:
            if let descriptor = try descriptorFromHead(head, reference: reference) {
                return ResolvedImage(reference: reference, descriptor: descriptor, endpoint: endpoint)
            }
        case 404:
            throw RegistryError(.notFound, "manifest \(reference.manifestReference) not found at \(endpoint.apiRoot)")
        case 401, 403, 429, 500...599:
            throw RegistryError.http(status: Int(head.status.code), "HEAD \(url)", detail: nil)
        default:
            break  // some registries do not answer HEAD well: fall back to GET
        }
        let (content, mediaType) = try await getManifest(
            url: url, endpoint: endpoint, reference: reference, expected: reference.digest, size: nil, scopes: scopes)
        let descriptor = Descriptor(
            mediaType: mediaType, digest: reference.digest ?? Digest.sha256(of: content), size: Int64(content.count))
        return ResolvedImage(reference: reference, descriptor: descriptor, endpoint: endpoint, content: content)
    }

    /// A descriptor from a HEAD response, or `nil` if the headers are incomplete.
    private func descriptorFromHead(_ head: HTTPClientResponse, reference: ImageReference) throws -> Descriptor? {
        guard let typeHeader = head.headers.first(name: "Content-Type"),
            let lengthHeader = head.headers.first(name: "Content-Length"), let size = Int64(lengthHeader)
        else { return nil }
        let mediaType = MediaType(typeHeader).base
        guard mediaType.isManifest || mediaType.isIndex else { return nil }
        guard size <= configuration.limits.maxManifestSize else {
            throw RegistryError(
                .resourceExhausted,
                "manifest \(reference) is \(size) bytes, over the \(configuration.limits.maxManifestSize)-byte limit")
        }
        let headerDigest = head.headers.first(name: "Docker-Content-Digest").flatMap { Digest($0) }
        if let pinned = reference.digest {
            if let headerDigest, headerDigest != pinned { return nil }
            return Descriptor(mediaType: mediaType, digest: pinned, size: size)
        }
        guard let headerDigest else { return nil }
        return Descriptor(mediaType: mediaType, digest: headerDigest, size: size)
    }

    /// Fetches a manifest or index by descriptor from the first endpoint that has it, verified.
    func fetchManifest(_ descriptor: Descriptor, reference: ImageReference) async throws -> [UInt8] {
        guard descriptor.size <= configuration.limits.maxManifestSize else {
            throw RegistryError(
                .resourceExhausted,
                "manifest \(descriptor.digest) is \(descriptor.size) bytes, over the "
                    + "\(configuration.limits.maxManifestSize)-byte limit")
        }
        let endpoints = try endpoints(for: reference, capability: .pull)
        return try await acrossEndpoints(endpoints, "fetch manifest \(descriptor.digest)") { endpoint in
            let url = apiURL(endpoint, reference, "manifests/\(descriptor.digest)")
            let (content, _) = try await getManifest(
                url: url, endpoint: endpoint, reference: reference, expected: descriptor.digest,
                size: descriptor.size, scopes: [Self.pullScope(reference)])
            guard Int64(content.count) == descriptor.size else {
                throw RegistryError(
                    .failedPrecondition,
                    "manifest \(descriptor.digest): size mismatch: expected \(descriptor.size) bytes, "
                        + "actual \(content.count) bytes")
            }
            return content
        }
    }

    /// GETs a manifest with a size cap, verifying `expected` if given; returns the bytes and media type.
    ///
    /// The body is read up to the `maxManifestSize` limit (`.resourceExhausted`
    /// beyond it) and, when the descriptor's `size` is known, up to that size
    /// (`.failedPrecondition` beyond it), so an endless body stops early.
    private func getManifest(
        url: String, endpoint: RegistryEndpoint, reference: ImageReference, expected: Digest?, size: Int64?,
        scopes: [String]
    ) async throws -> ([UInt8], MediaType) {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestAccept)
        let response = try await perform(
            RegistryRequest(method: .GET, url: url, headers: headers, scopes: scopes), endpoint: endpoint)
        guard response.status == .ok else {
            throw await unexpected(response, "GET \(url)")
        }
        let limit = configuration.limits.maxManifestSize
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        if let length, length > limit {
            await discard(response)
            throw RegistryError(
                .resourceExhausted, "manifest at \(url) is \(length) bytes, over the \(limit)-byte limit")
        }
        if let length, let size, length != size {
            await discard(response)
            throw RegistryError(
                .failedPrecondition,
                "manifest at \(url): size mismatch: the registry has \(length) bytes, the descriptor says \(size)")
        }
        var content: [UInt8] = []
        for try await chunk in response.body {
            content += chunk.readableBytesView
            guard content.count <= limit else {
                throw RegistryError(.resourceExhausted, "manifest at \(url) exceeds the \(limit)-byte limit")
            }
            if let size, content.count > size {
                throw RegistryError(
                    .failedPrecondition,
                    "manifest at \(url): size mismatch: the registry sent more than the descriptor's \(size) bytes")
            }
        }
        if let expected {
            var verifier = DigestVerifier(expected: expected)
            verifier.update(content)
            guard verifier.isVerified else {
                throw RegistryError(
                    .failedPrecondition,
                    "manifest at \(url): digest mismatch: expected \(expected), actual \(verifier.actual)")
            }
        } else if let header = response.headers.first(name: "Docker-Content-Digest").flatMap({ Digest($0) }) {
            let actual = Digest.compute(header.algorithm, of: content)
            guard actual == header else {
                throw RegistryError(
                    .failedPrecondition,
                    "manifest at \(url): digest mismatch: registry says \(header), content is \(actual)")
            }
        }
        let mediaType = try Self.manifestMediaType(
            header: response.headers.first(name: "Content-Type"), content: content, url: url)
        return (content, mediaType)
    }

    /// The media type of a manifest: the `Content-Type` if it names a manifest or index,
    /// else the document's `mediaType`, else guessed from its fields.
    static func manifestMediaType(header: String?, content: [UInt8], url: String) throws -> MediaType {
        struct Probe: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [AnyDecodable]?
            var config: AnyDecodable?
            var fsLayers: [AnyDecodable]?
        }
        struct AnyDecodable: Decodable {
            init(from decoder: any Decoder) throws {}
        }
        if let header {
            let type = MediaType(header).base
            if type.isManifest || type.isIndex { return type }
            if type == .dockerManifestSchema1 || type == .dockerManifestSchema1Signed {
                throw RegistryError(.notImplemented, "\(url): Docker schema1 manifests are not supported")
            }
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(content)) else {
            throw RegistryError(.failedPrecondition, "\(url): the manifest is not valid JSON")
        }
        if probe.schemaVersion == 1 || probe.fsLayers != nil {
            throw RegistryError(.notImplemented, "\(url): Docker schema1 manifests are not supported")
        }
        if let declared = probe.mediaType.map(MediaType.init(rawValue:)), declared.isManifest || declared.isIndex {
            return declared
        }
        if probe.manifests != nil { return .ociIndex }
        if probe.config != nil { return .ociManifest }
        throw RegistryError(.failedPrecondition, "\(url): the document is neither a manifest nor an index")
    }
}
