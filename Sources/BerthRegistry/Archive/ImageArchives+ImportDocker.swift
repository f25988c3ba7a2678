import BerthErrors
import BerthOCI
import Foundation
import Logging

/// One entry of a docker-archive's `manifest.json`.
struct DockerArchiveEntry: Codable, Sendable {
    var config: String
    var repoTags: [String]?
    var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

extension ImageArchives {
    /// Imports a `docker save` archive: each `manifest.json` entry becomes a
    /// Docker schema2 manifest over its config and layers, named by its `RepoTags`.
    func importDocker(_ files: some ArchiveFiles, source: String, options: ImportOptions) async throws
        -> [ImageRecord]
    {
        let listing = try files.read("manifest.json", limit: limits.maxManifestSize)
        let entries: [DockerArchiveEntry]
        do {
            entries = try JSONDecoder().decode([DockerArchiveEntry].self, from: Data(listing))
        } catch {
            throw RegistryError(.invalidArgument, "import \(source): invalid manifest.json: \(error)")
        }
        var records: [ImageRecord] = []
        for entry in entries {
            let configPath = try normalizeArchivePath(entry.config)
            let configBytes = try files.read(configPath, limit: limits.maxConfigSize)
            let config: ImageConfig
            do {
                config = try JSONDecoder().decode(ImageConfig.self, from: Data(configBytes))
            } catch {
                throw RegistryError(.invalidArgument, "import \(source): invalid image config \(configPath): \(error)")
            }
            guard config.rootfs.diffIDs.count == entry.layers.count else {
                throw RegistryError(
                    .invalidArgument,
                    "import \(source): config \(configPath) lists \(config.rootfs.diffIDs.count) diff IDs "
                        + "for \(entry.layers.count) layers")
            }
            let configDescriptor = Descriptor(mediaType: .dockerConfig, content: configBytes)
            try await store.writeAll(configBytes, descriptor: configDescriptor, ref: "tar-\(configPath)")

            var layers: [Descriptor] = []
            for (offset, layerPath) in entry.layers.enumerated() {
                let path = try normalizeArchivePath(layerPath)
                let stored = try await storeFile(files, path: path, expected: Self.blobDigest(path), ref: "tar-\(path)")
                let compression = try Self.compression(files, path: path)
                let mediaType: MediaType =
                    switch compression {
                    case .gzip: .dockerLayerGzip
                    case .zstd: .dockerLayerZstd
                    case .none: .dockerLayer
                    }
                if compression == MediaType.Compression.none, stored.digest != config.rootfs.diffIDs[offset] {
                    throw RegistryError(
                        .failedPrecondition,
                        "import \(source): layer \(path) has digest \(stored.digest), but the config's diff ID is "
                            + "\(config.rootfs.diffIDs[offset])")
                }
                layers.append(Descriptor(mediaType: mediaType, digest: stored.digest, size: stored.size))
            }
            let manifest = Manifest(mediaType: .dockerManifest, config: configDescriptor, layers: layers)
            let manifestBytes = try Self.encodeJSON(manifest)
            let manifestDescriptor = Descriptor(mediaType: .dockerManifest, content: manifestBytes)
            let node = ImageNode.manifest(manifestDescriptor, content: manifestBytes, manifest: manifest)
            try await store.writeAll(
                manifestBytes, descriptor: manifestDescriptor, ref: "manifest-\(manifestDescriptor.digest)",
                labels: ImageGraph.gcLabels(node))

            var names = try (entry.repoTags ?? []).map { try ImageReference(parsing: $0).description }
            if names.isEmpty, let base = options.baseName {
                names = [try ImageReference(parsing: "\(base)@\(manifestDescriptor.digest)").description]
            }
            if names.isEmpty {
                logger.info("skipping untagged image", metadata: ["config": "\(configPath)", "archive": "\(source)"])
            }
            records += names.map { ImageRecord(name: $0, target: manifestDescriptor) }
        }
        return records
    }

    /// The digest named by a `blobs/<alg>/<hex>` path (newer `docker save`), if it is one.
    static func blobDigest(_ path: String) -> Digest? {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs", let algorithm = try? Digest.Algorithm(String(parts[1])) else {
            return nil
        }
        return try? Digest(algorithm: algorithm, encoded: String(parts[2]))
    }

    /// The compression of an archive file, from its first bytes.
    static func compression(_ files: some ArchiveFiles, path: String) throws -> MediaType.Compression {
        let head = try files.chunks(path, chunkSize: 4).next() ?? []
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        return .none
    }

    /// Compact JSON with stable key order, as registries and ctr write manifests.
    static func encodeJSON(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }
}
