import BerthErrors
public import BerthOCI
import Foundation
import Logging

/// What to pull and how to report it.
public struct PullOptions: Sendable {
    /// The platform to pick from an index (best match wins).
    public var platform: PlatformMatcher
    /// Fetch every manifest of an index, not just the best match (`ctr pull --all-platforms`).
    public var allPlatforms: Bool
    /// Called for each progress event, from any task.
    public var progress: (@Sendable (PullProgress) -> Void)?
    /// Receives layer bytes while they download (streaming unpack).
    public var layerSink: (any LayerSink)?

    public init(
        platform: PlatformMatcher = .host,
        allPlatforms: Bool = false,
        progress: (@Sendable (PullProgress) -> Void)? = nil,
        layerSink: (any LayerSink)? = nil
    ) {
        self.platform = platform
        self.allPlatforms = allPlatforms
        self.progress = progress
        self.layerSink = layerSink
    }
}

/// One image manifest a pull fetched completely.
public struct PulledImage: Sendable {
    /// The manifest's descriptor (with its platform, when it came from an index).
    public var descriptor: Descriptor
    /// The manifest.
    public var manifest: Manifest
    /// The decoded image config, when the config is an image config.
    public var config: ImageConfig?
}

/// The outcome of a pull: the image record to store and what was fetched.
public struct PullResult: Sendable {
    /// The reference pulled.
    public var reference: ImageReference
    /// The root descriptor (index or manifest): the image record's target.
    public var target: Descriptor
    /// The selected manifests, best platform match first.
    public var images: [PulledImage]
    /// Layers that were downloaded through the layer sink.
    public var streamedLayers: Set<Digest>
    /// Blobs that were already in the content store.
    public var existingBlobs: Set<Digest>

    /// The image record's name, e.g. `docker.io/library/busybox:latest`.
    public var name: String { reference.description }
}

extension RegistryClient {
    /// Pulls an image into the content store, as `ctr images pull` does: resolve,
    /// fetch the index and the chosen manifests, then configs and layers in
    /// parallel (at most `maxConcurrentDownloads` at a time).
    ///
    /// Blobs are committed children first (layers and config, then manifests,
    /// then the index), each with containerd's `gc.ref` and `distribution.source`
    /// labels, so a committed document's children are always in the store.
    ///
    /// - Returns: the record to store (`name` → `target`) and what was fetched.
    public func pull(
        _ reference: ImageReference, into store: any ContentAccess, options: PullOptions = PullOptions()
    ) async throws -> PullResult {
        let resolved = try await resolve(reference)
        options.progress?(.resolved(resolved.descriptor))
        let sourceLabel = Self.distributionSourceLabel(reference)
        // Blobs come from the endpoints in hosts order (mirrors first), as containerd fetches.
        let endpoints = try endpoints(for: reference, capability: .pull)

        // 1. Documents: the root and the manifests chosen from indexes.
        let nodes = try await ImageGraph.walk(
            root: resolved.descriptor, maxDepth: configuration.limits.maxIndexDepth,
            load: { descriptor in
                if descriptor.digest == resolved.descriptor.digest, let content = resolved.content {
                    return content
                }
                return try await fetchManifest(descriptor, reference: reference)
            },
            select: { descriptor, index in
                try Self.select(from: index, digest: descriptor.digest, options: options)
            })

        // 2. Configs first (small; the layer sink needs the diff IDs), then the
        //    layers, deduplicated, in parallel with a bound.
        var images: [PulledImage] = []
        var configJobs: [BlobDownload] = []
        var seen: Set<Digest> = []
        for case .manifest(let descriptor, _, let manifest) in nodes {
            images.append(PulledImage(descriptor: descriptor, manifest: manifest, config: nil))
            guard seen.insert(manifest.config.digest).inserted else { continue }
            guard manifest.config.size <= configuration.limits.maxConfigSize else {
                throw RegistryError(
                    .resourceExhausted,
                    "config \(manifest.config.digest) is \(manifest.config.size) bytes, over the "
                        + "\(configuration.limits.maxConfigSize)-byte limit")
            }
            configJobs.append(
                BlobDownload(
                    descriptor: manifest.config, kind: "config", reference: reference, labels: sourceLabel,
                    consumer: nil, progress: options.progress))
        }
        var outcomes = try await downloadAll(configJobs, endpoints: endpoints, store: store)
        for offset in images.indices where images[offset].manifest.config.isConfig {
            let config = images[offset].manifest.config
            let bytes = try await store.readAll(config.digest, limit: configuration.limits.maxConfigSize)
            images[offset].config = try? JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        }

        var layerJobs: [BlobDownload] = []
        for image in images {
            for (offset, layer) in image.manifest.layers.enumerated() where seen.insert(layer.digest).inserted {
                if layer.isNondistributable {
                    logger.debug("skipping non-distributable layer", metadata: ["digest": "\(layer.digest)"])
                    continue
                }
                var consumer: (any LayerConsumer)?
                if let sink = options.layerSink, try await store.committedSize(of: layer.digest) == nil {
                    consumer = try await sink.consumer(for: layer, index: offset, image: image)
                }
                layerJobs.append(
                    BlobDownload(
                        descriptor: layer, kind: "layer", reference: reference, labels: sourceLabel,
                        consumer: consumer, progress: options.progress))
            }
        }
        outcomes.merge(try await downloadAll(layerJobs, endpoints: endpoints, store: store)) { first, _ in first }
        let jobs = configJobs + layerJobs
        var streamed: Set<Digest> = []
        var existing: Set<Digest> = []
        for (digest, downloaded) in outcomes {
            if !downloaded {
                existing.insert(digest)
            } else if layerJobs.contains(where: { $0.descriptor.digest == digest && $0.consumer != nil }) {
                streamed.insert(digest)
            }
        }

        // 3. Documents, children first.
        for node in nodes.reversed() {
            let descriptor = node.descriptor
            let kind = descriptor.isIndex ? "index" : "manifest"
            var labels = ImageGraph.gcLabels(node)
            labels.merge(sourceLabel) { current, _ in current }
            if try await store.committedSize(of: descriptor.digest) != nil {
                existing.insert(descriptor.digest)
            }
            try await store.writeAll(
                node.content, descriptor: descriptor, ref: "\(kind)-\(descriptor.digest)", labels: labels)
            options.progress?(.done(descriptor))
        }

        logger.info(
            "pulled",
            metadata: [
                "reference": "\(reference)", "digest": "\(resolved.descriptor.digest)", "manifests": "\(images.count)",
                "blobs": "\(jobs.count)", "existing": "\(existing.count)",
            ])
        return PullResult(
            reference: reference, target: resolved.descriptor, images: images, streamedLayers: streamed,
            existingBlobs: existing)
    }

    /// Runs the downloads with at most `maxConcurrentDownloads` at once.
    /// Returns, per digest, whether it was downloaded (false: already present).
    private func downloadAll(
        _ jobs: [BlobDownload], endpoints: [RegistryEndpoint], store: any ContentAccess
    ) async throws -> [Digest: Bool] {
        try await withThrowingTaskGroup(of: (Digest, Bool).self) { group in
            var results: [Digest: Bool] = [:]
            var running = 0
            for job in jobs {
                if running >= configuration.maxConcurrentDownloads, let (digest, downloaded) = try await group.next() {
                    results[digest] = downloaded
                    running -= 1
                }
                group.addTask {
                    (job.descriptor.digest, try await self.download(job, endpoints: endpoints, store: store))
                }
                running += 1
            }
            for try await (digest, downloaded) in group {
                results[digest] = downloaded
            }
            return results
        }
    }

    /// The manifests to follow in an index: the best platform match, or all.
    static func select(from index: Index, digest: Digest, options: PullOptions) throws -> [Descriptor] {
        let usable = index.manifests.filter { $0.isManifest || $0.isIndex }
        if options.allPlatforms { return usable }
        if let best = options.platform.bestMatch(in: usable) {
            return [best]
        }
        let available = Set(usable.compactMap { $0.platform?.description }).sorted().joined(separator: ", ")
        throw RegistryError(
            .notFound,
            "no manifest for platform \(options.platform.platform) in index \(digest) (available: \(available))")
    }

    /// `containerd.io/distribution.source.<host>=<repository>`, as containerd labels pulled blobs
    /// (the host without its port).
    static func distributionSourceLabel(_ reference: ImageReference) -> [String: String] {
        var host = Substring(reference.domain)
        if !host.hasPrefix("["), let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return ["containerd.io/distribution.source.\(host)": reference.path]
    }
}
