import BerthErrors
import BerthOCI
import Foundation
import Logging

extension ImageArchives {
    /// Writes an OCI archive (a tar of an OCI image layout) holding `images`,
    /// as `ctr images export` does: `oci-layout`, `index.json` (one entry per
    /// record, annotated with `io.containerd.image.name` and
    /// `org.opencontainers.image.ref.name`), every blob under `blobs/`, and a
    /// Docker `manifest.json` unless disabled.
    public func exportOCIArchive(_ images: [ImageRecord], to path: String, options: ExportOptions = ExportOptions())
        async throws
    {
        let sink = try TarSink(path: path)
        try await writeOCI(images, to: sink, options: options)
        try sink.finish()
    }

    /// Writes the same content as `exportOCIArchive` as an image layout directory.
    public func exportOCILayout(
        _ images: [ImageRecord], toDirectory path: String, options: ExportOptions = ExportOptions()
    ) async throws {
        let sink = try DirectorySink(root: path)
        try await writeOCI(images, to: sink, options: options)
        try sink.finish()
    }

    private func writeOCI(_ images: [ImageRecord], to sink: some ArchiveSink, options: ExportOptions) async throws {
        var blobs: [Descriptor] = []
        var seen: Set<Digest> = []
        var entries: [Descriptor] = []
        var dockerEntries: [DockerArchiveEntry] = []
        for image in images {
            let nodes = try await walkStored(image.target, options: options)
            for node in nodes {
                if seen.insert(node.descriptor.digest).inserted { blobs.append(node.descriptor) }
                if case .manifest(_, _, let manifest) = node {
                    for blob in manifest.blobs where seen.insert(blob.digest).inserted {
                        blobs.append(blob)
                    }
                }
            }
            var entry = image.target
            entry.setAnnotation(Self.imageNameAnnotation, image.name)
            let reference = ImageReference(image.name)
            entry.setAnnotation(AnnotationKey.refName, reference?.tag ?? image.name)
            entries.append(entry)
            if options.dockerManifest, let manifest = Self.platformManifest(nodes, options.platform) {
                dockerEntries.append(
                    DockerArchiveEntry(
                        config: ImageLayout.blobPath(for: manifest.config.digest),
                        repoTags: reference.map { [$0.familiarDescription] } ?? [image.name],
                        layers: manifest.layers.map { ImageLayout.blobPath(for: $0.digest) }))
            }
        }

        try sink.addFile(ImageLayout.fileName, Self.encodeJSON(ImageLayout()))
        try sink.addDirectory(ImageLayout.blobsDirectory)
        for algorithm in Set(blobs.map(\.digest.algorithm.name)).sorted() {
            try sink.addDirectory("\(ImageLayout.blobsDirectory)/\(algorithm)")
        }
        for blob in blobs {
            try await copyBlob(blob, to: sink, path: ImageLayout.blobPath(for: blob.digest))
        }
        try sink.addFile(ImageLayout.indexFileName, Self.encodeJSON(Index(manifests: entries)))
        if options.dockerManifest, !dockerEntries.isEmpty {
            try sink.addFile("manifest.json", Self.encodeJSON(dockerEntries))
        }
        logger.info("exported OCI archive", metadata: ["images": "\(images.count)", "blobs": "\(blobs.count)"])
    }

    /// Walks an image in the store, following the chosen platforms; children
    /// absent from the store are skipped, but a manifest's blobs must all be there.
    func walkStored(_ root: Descriptor, options: ExportOptions) async throws -> [ImageNode] {
        let nodes = try await ImageGraph.walk(
            root: root, maxDepth: limits.maxIndexDepth, skipMissing: true,
            load: { descriptor in
                guard try await store.committedSize(of: descriptor.digest) != nil else {
                    throw RegistryError(.notFound, "\(descriptor.digest) is not in the content store")
                }
                return try await store.readAll(descriptor.digest, limit: limits.maxManifestSize)
            },
            select: { _, index in
                let usable = index.manifests.filter { $0.isManifest || $0.isIndex }
                if options.allPlatforms { return usable }
                return options.platform.bestMatch(in: usable).map { [$0] } ?? []
            })
        for case .manifest(let descriptor, _, let manifest) in nodes {
            for blob in manifest.blobs where !blob.isNondistributable {
                guard try await store.committedSize(of: blob.digest) != nil else {
                    throw RegistryError(
                        .notFound, "\(blob.digest) of manifest \(descriptor.digest) is not in the content store")
                }
            }
        }
        return nodes
    }

    /// The manifest for `platform` among walked nodes: the best platform match
    /// of the manifests an index listed, or the only manifest.
    static func platformManifest(_ nodes: [ImageNode], _ platform: PlatformMatcher) -> Manifest? {
        var listed: [Descriptor] = []
        var manifests: [Digest: Manifest] = [:]
        for node in nodes {
            switch node {
            case .index(_, _, _, let children): listed += children.filter(\.isManifest)
            case .manifest(let descriptor, _, let manifest): manifests[descriptor.digest] = manifest
            }
        }
        if listed.isEmpty { return manifests.count == 1 ? manifests.values.first : nil }
        let present = listed.filter { manifests[$0.digest] != nil }
        return platform.bestMatch(in: present).flatMap { manifests[$0.digest] }
    }

    /// Streams a blob from the store into the sink, checking its size.
    func copyBlob(_ blob: Descriptor, to sink: some ArchiveSink, path: String) async throws {
        guard let size = try await store.committedSize(of: blob.digest) else {
            throw RegistryError(.notFound, "\(blob.digest) is not in the content store")
        }
        guard size == blob.size else {
            throw RegistryError(
                .failedPrecondition, "\(blob.digest) is \(size) bytes in the store, descriptor says \(blob.size)")
        }
        try sink.beginFile(path, size: size)
        var written: Int64 = 0
        for try await chunk in try await store.readChunks(of: blob.digest, from: 0) {
            guard written + Int64(chunk.count) <= size else {
                throw RegistryError(.dataLoss, "\(blob.digest) grew while it was exported")
            }
            try sink.write(chunk)
            written += Int64(chunk.count)
        }
        guard written == size else {
            throw RegistryError(.dataLoss, "\(blob.digest) shrank while it was exported")
        }
    }
}
