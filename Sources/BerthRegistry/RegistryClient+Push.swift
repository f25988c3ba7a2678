import AsyncHTTPClient
import BerthErrors
public import BerthOCI
import Logging
import NIOCore
import NIOHTTP1

/// How to push.
public struct PushOptions: Sendable {
    /// Upload blobs in chunks of this many bytes (POST, PATCH with `Content-Range`
    /// per chunk, then PUT); `nil` uploads each blob in one PUT (POST, then PUT).
    public var chunkSize: Int?
    /// Repositories of the same registry to try mounting blobs from, before the
    /// ones named by the blobs' `containerd.io/distribution.source.<host>` labels.
    public var mountFrom: [String]
    /// Called for each progress event, from any task.
    public var progress: (@Sendable (PushProgress) -> Void)?

    public init(chunkSize: Int? = nil, mountFrom: [String] = [], progress: (@Sendable (PushProgress) -> Void)? = nil) {
        self.chunkSize = chunkSize.map { max(1, $0) }
        self.mountFrom = mountFrom
        self.progress = progress
    }
}

/// Progress of a push, per blob or document.
public enum PushProgress: Sendable, Equatable {
    /// The registry already has the blob (HEAD answered 200).
    case exists(Descriptor)
    /// The registry mounted the blob from another repository.
    case mounted(Descriptor, from: String)
    /// `bytes` of `total` uploaded (one event per chunk or per blob).
    case uploaded(Digest, bytes: Int64, total: Int64)
    /// The blob or manifest is in the registry.
    case done(Descriptor)
}

extension RegistryClient {
    /// Pushes the image rooted at `root` from the content store to `reference`:
    /// blobs first (skipping those the registry has, mounting from other
    /// repositories where possible), then manifests by digest, then the root by
    /// the reference's tag (or digest).
    ///
    /// Children of an index that are not in the store are skipped (a partial
    /// multi-platform image), as `ctr push` does for platforms it did not pull.
    ///
    /// - Throws: `RegistryError` with the registry's error message.
    public func push(
        _ root: Descriptor, to reference: ImageReference, from store: any ContentAccess,
        options: PushOptions = PushOptions()
    ) async throws {
        guard let endpoint = try endpoints(for: reference, capability: .push).first else {
            throw RegistryError(.failedPrecondition, "no endpoint for \(reference.domain) can push")
        }
        let nodes = try await ImageGraph.walk(
            root: root, maxDepth: configuration.limits.maxIndexDepth, skipMissing: true,
            load: { descriptor in
                do {
                    return try await store.readAll(descriptor.digest, limit: configuration.limits.maxManifestSize)
                } catch let error as any BerthError where error.code == .notFound {
                    throw RegistryError(.notFound, "\(descriptor.digest) not in the content store")
                }
            },
            select: { _, index in index.manifests.filter { $0.isManifest || $0.isIndex } })

        var blobs: [Descriptor] = []
        var seen: Set<Digest> = []
        for case .manifest(_, _, let manifest) in nodes {
            for blob in manifest.blobs where seen.insert(blob.digest).inserted && !blob.isNondistributable {
                blobs.append(blob)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for blob in blobs {
                if running >= configuration.maxConcurrentUploads {
                    try await group.next()
                    running -= 1
                }
                group.addTask {
                    try await self.withRetries("push \(blob.digest)") {
                        try await self.pushBlob(blob, to: reference, endpoint: endpoint, store: store, options: options)
                    }
                }
                running += 1
            }
            try await group.waitForAll()
        }
        for node in nodes.reversed() {
            let descriptor = node.descriptor
            let tag = descriptor.digest == root.digest ? reference.tag ?? descriptor.digest.description : nil
            try await withRetries("push manifest \(descriptor.digest)") {
                try await putManifest(
                    node.content, descriptor: descriptor, tagOrDigest: tag ?? descriptor.digest.description,
                    reference: reference, endpoint: endpoint)
            }
            options.progress?(.done(descriptor))
        }
        logger.info(
            "pushed", metadata: ["reference": "\(reference)", "digest": "\(root.digest)", "blobs": "\(blobs.count)"])
    }

    static func pushScope(_ reference: ImageReference) -> String {
        "repository:\(reference.path):pull,push"
    }

    /// Uploads one blob unless the registry has it or can mount it.
    func pushBlob(
        _ blob: Descriptor, to reference: ImageReference, endpoint: RegistryEndpoint, store: any ContentAccess,
        options: PushOptions
    ) async throws {
        var scopes = [Self.pushScope(reference)]
        let blobURL = apiURL(endpoint, reference, "blobs/\(blob.digest)")
        let head = try await perform(RegistryRequest(method: .HEAD, url: blobURL, scopes: scopes), endpoint: endpoint)
        await discard(head)
        if head.status == .ok {
            options.progress?(.exists(blob))
            return
        }
        if head.status.code != 404 {
            throw RegistryError.http(status: Int(head.status.code), "HEAD \(blobURL)", detail: nil)
        }

        // Cross-repository mount from a repository known to hold the blob.
        let uploadsURL = apiURL(endpoint, reference, "blobs/uploads/")
        var location: String?
        for source in try await mountSources(for: blob, reference: reference, store: store, options: options) {
            scopes.append("repository:\(source):pull")
            let url = Self.appendingQuery(uploadsURL, [("mount", blob.digest.description), ("from", source)])
            let response = try await perform(
                RegistryRequest(method: .POST, url: url, headers: Self.emptyBodyHeaders, scopes: scopes),
                endpoint: endpoint)
            await discard(response)
            if response.status == .created {
                logger.debug("mounted blob", metadata: ["digest": "\(blob.digest)", "from": "\(source)"])
                options.progress?(.mounted(blob, from: source))
                return
            }
            if response.status == .accepted, let header = response.headers.first(name: "Location") {
                location = Self.resolve(header, against: url)  // the registry started an upload instead
                break
            }
        }
        if location == nil {
            let response = try await perform(
                RegistryRequest(method: .POST, url: uploadsURL, headers: Self.emptyBodyHeaders, scopes: scopes),
                endpoint: endpoint)
            guard response.status == .accepted, let header = response.headers.first(name: "Location") else {
                throw await unexpected(response, "POST \(uploadsURL)")
            }
            await discard(response)
            location = Self.resolve(header, against: uploadsURL)
        }
        guard var location else { return }

        if let chunkSize = options.chunkSize, blob.size > 0 {
            location = try await patchChunks(
                blob, location: location, chunkSize: chunkSize, scopes: scopes, endpoint: endpoint, store: store,
                options: options)
            try await finishUpload(blob, location: location, body: nil, scopes: scopes, endpoint: endpoint)
        } else {
            let body: @Sendable () -> HTTPClientRequest.Body = {
                .stream(BlobBody(store: store, digest: blob.digest), length: .known(blob.size))
            }
            try await finishUpload(blob, location: location, body: body, scopes: scopes, endpoint: endpoint)
            options.progress?(.uploaded(blob.digest, bytes: blob.size, total: blob.size))
        }
        options.progress?(.done(blob))
    }

    private static var emptyBodyHeaders: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        return headers
    }

    /// Repositories to try mounting from: the options', then the blob's distribution-source labels.
    private func mountSources(
        for blob: Descriptor, reference: ImageReference, store: any ContentAccess, options: PushOptions
    ) async throws -> [String] {
        var sources = options.mountFrom
        let key = Self.distributionSourceLabel(reference).keys.first ?? ""
        if let labels = try? await store.labels(of: blob.digest), let value = labels[key] {
            sources += value.split(separator: ",").map(String.init)
        }
        var seen: Set<String> = [reference.path]
        return sources.filter { seen.insert($0).inserted }
    }

    /// PATCHes the blob in `chunkSize` pieces; returns the upload's final location.
    private func patchChunks(
        _ blob: Descriptor, location start: String, chunkSize: Int, scopes: [String], endpoint: RegistryEndpoint,
        store: any ContentAccess, options: PushOptions
    ) async throws -> String {
        var location = start
        var offset: Int64 = 0
        var pending: [UInt8] = []
        func send(_ chunk: [UInt8]) async throws {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Content-Range", value: "\(offset)-\(offset + Int64(chunk.count) - 1)")
            headers.add(name: "Content-Length", value: "\(chunk.count)")
            let bytes = ByteBuffer(bytes: chunk)
            let response = try await perform(
                RegistryRequest(
                    method: .PATCH, url: location, headers: headers, body: { .bytes(bytes) }, scopes: scopes),
                endpoint: endpoint)
            guard response.status == .accepted, let header = response.headers.first(name: "Location") else {
                throw await unexpected(response, "PATCH \(location)")
            }
            await discard(response)
            location = Self.resolve(header, against: location)
            offset += Int64(chunk.count)
            options.progress?(.uploaded(blob.digest, bytes: offset, total: blob.size))
        }
        for try await chunk in try await store.readChunks(of: blob.digest, from: 0) {
            pending += chunk
            while pending.count >= chunkSize {
                try await send(Array(pending.prefix(chunkSize)))
                pending.removeFirst(chunkSize)
            }
        }
        if !pending.isEmpty {
            try await send(pending)
        }
        guard offset == blob.size else {
            throw RegistryError(
                .failedPrecondition, "blob \(blob.digest) in the store is \(offset) bytes, descriptor says \(blob.size)"
            )
        }
        return location
    }

    /// The closing `PUT <location>?digest=…`, with the whole body (monolithic) or none (chunked).
    private func finishUpload(
        _ blob: Descriptor, location: String, body: (@Sendable () -> HTTPClientRequest.Body)?, scopes: [String],
        endpoint: RegistryEndpoint
    ) async throws {
        let url = Self.appendingQuery(location, [("digest", blob.digest.description)])
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        if body == nil {
            headers.add(name: "Content-Length", value: "0")
        }
        let response = try await perform(
            RegistryRequest(method: .PUT, url: url, headers: headers, body: body, scopes: scopes, isTransfer: true),
            endpoint: endpoint)
        guard response.status == .created || response.status == .noContent else {
            throw await unexpected(response, "PUT blob \(blob.digest)")
        }
        await discard(response)
        if let returned = response.headers.first(name: "Docker-Content-Digest").flatMap({ Digest($0) }),
            returned != blob.digest
        {
            throw RegistryError(
                .failedPrecondition, "registry stored blob \(blob.digest) as \(returned): digest mismatch")
        }
    }

    private func putManifest(
        _ content: [UInt8], descriptor: Descriptor, tagOrDigest: String, reference: ImageReference,
        endpoint: RegistryEndpoint
    ) async throws {
        let url = apiURL(endpoint, reference, "manifests/\(tagOrDigest)")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: descriptor.mediaType.rawValue)
        headers.add(name: "Content-Length", value: "\(content.count)")
        let bytes = ByteBuffer(bytes: content)
        let response = try await perform(
            RegistryRequest(
                method: .PUT, url: url, headers: headers, body: { .bytes(bytes) }, scopes: [Self.pushScope(reference)]),
            endpoint: endpoint)
        guard response.status == .created || response.status == .ok else {
            throw await unexpected(response, "PUT manifest \(descriptor.digest) as \(tagOrDigest)")
        }
        await discard(response)
        if let returned = response.headers.first(name: "Docker-Content-Digest").flatMap({ Digest($0) }),
            returned != descriptor.digest
        {
            throw RegistryError(
                .failedPrecondition, "registry stored manifest \(descriptor.digest) as \(returned): digest mismatch")
        }
    }
}

/// A blob read from the content store as a request body, opened lazily so the
/// body can be re-created for a retry.
struct BlobBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let store: any ContentAccess
    let digest: Digest

    struct AsyncIterator: AsyncIteratorProtocol {
        let store: any ContentAccess
        let digest: Digest
        var chunks: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            if chunks == nil {
                chunks = try await store.readChunks(of: digest, from: 0).makeAsyncIterator()
            }
            guard let chunk = try await chunks?.next() else { return nil }
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, digest: digest)
    }
}
