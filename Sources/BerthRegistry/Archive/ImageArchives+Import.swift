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
    /// Imports an OCI layout (directory or tar) or a docker-archive into the store.
    ///
    /// - Returns: the image records to create, in archive order.
    /// - Throws: `RegistryError`: `.invalidArgument` for a malformed or unsafe
    ///   archive, `.failedPrecondition` for content that does not match its digest,
    ///   `.notFound` for missing content.
    public func importImages(from path: String, options: ImportOptions = ImportOptions()) async throws
        -> [ImageRecord]
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RegistryError(.notFound, "import: \(path) does not exist")
        }
        if isDirectory.boolValue {
            return try await importFiles(DirectoryFiles(root: path), source: path, options: options)
        }
        let files = try SpooledTarFiles(tar: path)
        defer { files.remove() }
        return try await importFiles(files, source: path, options: options)
    }

    func importFiles(_ files: some ArchiveFiles, source: String, options: ImportOptions) async throws
        -> [ImageRecord]
    {
        if files.size(of: ImageLayout.fileName) != nil {
            return try await importOCI(files, source: source, options: options)
        }
        if files.size(of: "manifest.json") != nil {
            return try await importDocker(files, source: source, options: options)
        }
        throw RegistryError(
            .invalidArgument,
            "import: \(source) is neither an OCI image layout (no oci-layout) nor a docker-archive "
                + "(no manifest.json)")
    }

    /// containerd's annotation carrying an image's full name in an OCI archive's `index.json`.
    public static let imageNameAnnotation = "io.containerd.image.name"

    // MARK: OCI

    private func importOCI(_ files: some ArchiveFiles, source: String, options: ImportOptions) async throws
        -> [ImageRecord]
    {
        let layoutBytes = try files.read(ImageLayout.fileName, limit: 1 << 16)
        do {
            try JSONDecoder().decode(ImageLayout.self, from: Data(layoutBytes)).validate()
        } catch let error as OCIError {
            throw RegistryError(.invalidArgument, "import \(source): \(error.message)")
        } catch {
            throw RegistryError(.invalidArgument, "import \(source): invalid oci-layout: \(error)")
        }
        let indexBytes = try files.read(ImageLayout.indexFileName, limit: limits.maxManifestSize)
        let indexDescriptor = Descriptor(mediaType: .ociIndex, content: indexBytes)
        let index = try ImageGraph.decode(Index.self, indexBytes, indexDescriptor)

        // Every blob in the layout, verified against its name.
        for path in files.paths where path.hasPrefix(ImageLayout.blobsDirectory + "/") {
            let parts = path.split(separator: "/")
            guard parts.count == 3, let algorithm = try? Digest.Algorithm(String(parts[1])),
                let digest = try? Digest(algorithm: algorithm, encoded: String(parts[2]))
            else {
                logger.debug("skipping non-blob file", metadata: ["path": "\(path)"])
                continue
            }
            try await storeFile(files, path: path, expected: digest, ref: "tar-\(path)")
        }
        if options.indexName != nil {
            try await store.writeAll(indexBytes, descriptor: indexDescriptor, ref: "tar-index.json")
        }

        var records: [ImageRecord] = []
        for entry in index.manifests {
            try await labelGraph(entry, source: source)
            var target = entry
            target.annotations = nil
            if let name = try Self.recordName(for: entry, options: options) {
                records.append(ImageRecord(name: name, target: target))
            } else {
                logger.info("skipping unnamed image", metadata: ["digest": "\(entry.digest)", "archive": "\(source)"])
            }
        }
        if let indexName = options.indexName {
            records.append(ImageRecord(name: indexName, target: indexDescriptor))
        }
        return records
    }

    /// The record name for an `index.json` entry, as ctr names it.
    static func recordName(for entry: Descriptor, options: ImportOptions) throws -> String? {
        if let name = entry.annotation(Self.imageNameAnnotation), !name.isEmpty {
            return name
        }
        if let refName = entry.referenceName, !refName.isEmpty {
            if refName.contains("/") || refName.contains(":") || refName.contains("@") {
                return try ImageReference(parsing: refName).description
            }
            if let base = options.baseName {
                return try ImageReference(parsing: "\(base):\(refName)").description
            }
            return nil
        }
        if let base = options.baseName {
            return try ImageReference(parsing: "\(base)@\(entry.digest)").description
        }
        return nil
    }

    /// Checks an imported image is complete and sets containerd's gc labels on its documents.
    private func labelGraph(_ root: Descriptor, source: String) async throws {
        let nodes = try await ImageGraph.walk(
            root: root, maxDepth: limits.maxIndexDepth, skipMissing: true,
            load: { descriptor in
                guard try await store.committedSize(of: descriptor.digest) != nil else {
                    throw RegistryError(.notFound, "import \(source): \(descriptor.digest) is not in the archive")
                }
                return try await store.readAll(descriptor.digest, limit: limits.maxManifestSize)
            },
            select: { _, index in index.manifests.filter { $0.isManifest || $0.isIndex } })
        for node in nodes {
            if case .manifest(let descriptor, _, let manifest) = node {
                for blob in manifest.blobs where try await store.committedSize(of: blob.digest) == nil {
                    throw RegistryError(
                        .notFound,
                        "import \(source): \(blob.digest) of manifest \(descriptor.digest) is not in the archive")
                }
            }
            try await store.addLabels(ImageGraph.gcLabels(node), to: node.descriptor.digest)
        }
    }

    // MARK: Blobs

    /// Stores an archive file, verifying it against `expected` (if given) while it streams.
    @discardableResult
    func storeFile(_ files: some ArchiveFiles, path: String, expected: Digest?, ref: String) async throws -> Descriptor
    {
        guard let size = files.size(of: path) else {
            throw RegistryError(.notFound, "archive has no \(path)")
        }
        if let expected, try await store.committedSize(of: expected) != nil {
            return Descriptor(mediaType: "application/octet-stream", digest: expected, size: size)
        }
        let writer: any ContentIngest
        do {
            writer = try await store.openWriter(ref: ref, total: size, expected: expected)
        } catch let error as any BerthError where error.code == .alreadyExists {
            guard let expected else { throw error }
            return Descriptor(mediaType: "application/octet-stream", digest: expected, size: size)
        }
        do {
            if try await writer.currentOffset() != 0 {
                try await writer.restart()
            }
            var digester = Digester(algorithm: expected?.algorithm ?? .canonical)
            let chunks = try files.chunks(path)
            while let chunk = try chunks.next() {
                digester.update(chunk)
                try await writer.append(chunk)
            }
            let actual = digester.finalize()
            guard digester.count == size else {
                throw RegistryError(
                    .failedPrecondition, "archive file \(path): size mismatch: expected \(size), read \(digester.count)"
                )
            }
            if let expected, expected != actual {
                try? await writer.restart()
                throw RegistryError(
                    .failedPrecondition, "archive file \(path): digest mismatch: expected \(expected), actual \(actual)"
                )
            }
            do {
                try await writer.commit(size: size, expected: actual, labels: [:])
            } catch let error as any BerthError where error.code == .alreadyExists {
                await writer.close()
            }
            return Descriptor(mediaType: "application/octet-stream", digest: actual, size: size)
        } catch {
            await writer.close()
            throw error
        }
    }
}
