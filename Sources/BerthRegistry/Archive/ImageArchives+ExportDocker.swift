import BerthArchive
import BerthErrors
import BerthOCI
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension ImageArchives {
    /// Writes a docker-archive (`docker save` format) holding `images`, one
    /// platform each (`options.platform`): `manifest.json`, `repositories`,
    /// `<config-hex>.json`, and per layer `<diff-id-hex>/layer.tar` (uncompressed,
    /// so its digest is the config's diff ID), `VERSION` and `json`.
    public func exportDockerArchive(
        _ images: [ImageRecord], to path: String, options: ExportOptions = ExportOptions()
    ) async throws {
        var single = options
        single.allPlatforms = false
        var entries: [DockerArchiveEntry] = []
        var repositories: [String: [String: String]] = [:]
        var written: Set<String> = []
        let sink = try TarSink(path: path)
        for image in images {
            let nodes = try await walkStored(image.target, options: single)
            guard let manifest = Self.platformManifest(nodes, options.platform) else {
                throw RegistryError(
                    .notFound, "\(image.name) has no manifest for \(options.platform.platform) in the content store")
            }
            let configBytes = try await store.readAll(manifest.config.digest, limit: limits.maxConfigSize)
            let config: ImageConfig
            do {
                config = try JSONDecoder().decode(ImageConfig.self, from: Data(configBytes))
            } catch {
                throw RegistryError(.failedPrecondition, "\(image.name): invalid image config: \(error)")
            }
            guard config.rootfs.diffIDs.count == manifest.layers.count else {
                throw RegistryError(
                    .failedPrecondition,
                    "\(image.name): config has \(config.rootfs.diffIDs.count) diff IDs for \(manifest.layers.count) layers"
                )
            }
            let configPath = "\(manifest.config.digest.encoded).json"
            if written.insert(configPath).inserted {
                try sink.addFile(configPath, configBytes)
            }
            var layerPaths: [String] = []
            var parent: String?
            for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
                let id = diffID.encoded
                let layerPath = "\(id)/layer.tar"
                if written.insert(layerPath).inserted {
                    try sink.addDirectory(id)
                    try sink.addFile("\(id)/VERSION", Array("1.0".utf8))
                    var legacy: [String: String] = ["id": id]
                    if let parent { legacy["parent"] = parent }
                    try sink.addFile("\(id)/json", Self.encodeJSON(legacy))
                    try await writeUncompressedLayer(layer, diffID: diffID, to: sink, path: layerPath)
                }
                layerPaths.append(layerPath)
                parent = id
            }
            let reference = ImageReference(image.name)
            let tag = reference?.familiarDescription ?? image.name
            if let index = entries.firstIndex(where: { $0.config == configPath }) {
                entries[index].repoTags = (entries[index].repoTags ?? []) + [tag]
            } else {
                entries.append(DockerArchiveEntry(config: configPath, repoTags: [tag], layers: layerPaths))
            }
            if let reference, let name = reference.tag, let top = layerPaths.last?.split(separator: "/").first {
                let repository = String(tag.prefix(tag.count - name.count - 1))
                repositories[repository, default: [:]][name] = String(top)
            }
        }
        try sink.addFile("manifest.json", Self.encodeJSON(entries))
        try sink.addFile("repositories", Self.sortedJSON(repositories))
        try sink.finish()
        logger.info("exported docker archive", metadata: ["images": "\(images.count)", "path": "\(path)"])
    }

    /// Writes a layer blob decompressed (gzip and zstd are undone), checking it against its diff ID.
    private func writeUncompressedLayer(
        _ layer: Descriptor, diffID: Digest, to sink: some ArchiveSink, path: String
    ) async throws {
        let compression = layer.mediaType.layerCompression ?? .none
        if compression == .none {
            try await copyBlob(layer, to: sink, path: path)
            return
        }
        // Spool the blob, then let libarchive decompress it (the tar parse
        // sees every decompressed byte), spooling the result to size the entry.
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let compressed = scratch.path + "/compressed"
        let plain = scratch.path + "/plain"
        try await spool(layer.digest, to: compressed)
        let output = try SpoolFile(path: plain, algorithm: diffID.algorithm)
        do {
            let source = try FileDescriptorSource(path: compressed)
            defer { source.close() }
            let reader = try TarReader(source: source, onUncompressedBytes: output.consume)
            try reader.finish()
        } catch {
            throw RegistryError.wrap(error, "decompress layer \(layer.digest)")
        }
        let (actual, count) = try output.finish()
        guard actual == diffID else {
            throw RegistryError(
                .failedPrecondition,
                "layer \(layer.digest) decompresses to \(actual), but the config's diff ID is \(diffID)")
        }
        try sink.beginFile(path, size: count)
        let chunks = try FileChunks(path: plain, chunkSize: 1 << 20)
        while let chunk = try chunks.next() {
            try sink.write(chunk)
        }
    }

    /// Copies a blob from the store to a file.
    private func spool(_ digest: Digest, to path: String) async throws {
        let sink = try DirectorySink(root: (path as NSString).deletingLastPathComponent)
        guard let size = try await store.committedSize(of: digest) else {
            throw RegistryError(.notFound, "\(digest) is not in the content store")
        }
        try sink.beginFile((path as NSString).lastPathComponent, size: size)
        for try await chunk in try await store.readChunks(of: digest, from: 0) {
            try sink.write(chunk)
        }
        try sink.finish()
    }

    static func sortedJSON(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return [UInt8](try encoder.encode(value))
    }
}

/// A file that hashes what is written to it; write errors are reported by `finish`.
final class SpoolFile {
    private let fd: Int32
    private let path: String
    private var digester: Digester
    private var failure: Int32 = 0

    init(path: String, algorithm: Digest.Algorithm) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw RegistryError(.unavailable, "create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        digester = Digester(algorithm: algorithm)
    }

    deinit {
        close(fd)
    }

    func consume(_ bytes: UnsafeRawBufferPointer) {
        guard failure == 0 else { return }
        digester.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            guard n > 0 else {
                failure = errno
                return
            }
            offset += n
        }
    }

    /// The digest and size of everything written.
    func finish() throws -> (Digest, Int64) {
        guard failure == 0 else {
            throw RegistryError(.unavailable, "write \(path): \(String(cString: strerror(failure)))")
        }
        return (digester.finalize(), digester.count)
    }
}

/// A private temporary directory.
struct ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("\(NSTemporaryDirectory())/berth-scratch-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw RegistryError(
                .unavailable, "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
