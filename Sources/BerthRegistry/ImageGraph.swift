import BerthErrors
public import BerthOCI
import Foundation

/// A document reached while walking an image from its root.
public enum ImageNode: Sendable {
    /// An index (or Docker manifest list) and the children chosen from it.
    case index(Descriptor, content: [UInt8], index: Index, children: [Descriptor])
    /// An image manifest.
    case manifest(Descriptor, content: [UInt8], manifest: Manifest)

    /// The node's descriptor.
    public var descriptor: Descriptor {
        switch self {
        case .index(let descriptor, _, _, _), .manifest(let descriptor, _, _): descriptor
        }
    }

    /// The raw document bytes.
    public var content: [UInt8] {
        switch self {
        case .index(_, let content, _, _), .manifest(_, let content, _): content
        }
    }
}

/// Walks an image's indexes and manifests from a root descriptor, depth-first,
/// with a nesting limit and cycle detection. Used by pull, push and the archives.
enum ImageGraph {
    /// Returns the nodes in walk order (parents before children), each digest once.
    ///
    /// - Parameters:
    ///   - load: fetches a document's bytes (already size-limited and verified).
    ///   - select: the children of an index to follow; `nil` entries are skipped.
    ///   - skipMissing: children for which `load` throws `.notFound` are left out
    ///     (a partial multi-platform image) instead of failing.
    /// - Throws: `RegistryError(.failedPrecondition)` for a cycle, too deep nesting,
    ///   or a document that does not decode as its media type.
    static func walk(
        root: Descriptor,
        maxDepth: Int,
        skipMissing: Bool = false,
        load: (Descriptor) async throws -> [UInt8],
        select: (Descriptor, Index) throws -> [Descriptor]
    ) async throws -> [ImageNode] {
        var nodes: [ImageNode] = []
        var visited: Set<Digest> = []
        var path: [Digest] = []

        func visit(_ descriptor: Descriptor, depth: Int) async throws {
            if path.contains(descriptor.digest) {
                let cycle = (path + [descriptor.digest]).map(\.description).joined(separator: " → ")
                throw RegistryError(.failedPrecondition, "index cycle: \(cycle)")
            }
            guard visited.insert(descriptor.digest).inserted else { return }
            let content: [UInt8]
            do {
                content = try await load(descriptor)
            } catch let error as RegistryError where skipMissing && error.code == .notFound && !path.isEmpty {
                return
            }
            path.append(descriptor.digest)
            defer { path.removeLast() }
            if descriptor.mediaType.isIndex {
                guard depth < maxDepth else {
                    throw RegistryError(
                        .failedPrecondition,
                        "index \(descriptor.digest) nests deeper than \(maxDepth) levels of indexes")
                }
                let index = try decode(Index.self, content, descriptor)
                let children = try select(descriptor, index)
                nodes.append(.index(descriptor, content: content, index: index, children: children))
                for child in children {
                    try await visit(child, depth: depth + 1)
                }
            } else if descriptor.mediaType.isManifest {
                let manifest = try decode(Manifest.self, content, descriptor)
                nodes.append(.manifest(descriptor, content: content, manifest: manifest))
            } else {
                throw RegistryError(
                    .failedPrecondition,
                    "\(descriptor.digest) has media type \(descriptor.mediaType), not a manifest or index")
            }
        }

        try await visit(root, depth: 0)
        return nodes
    }

    /// Decodes and validates a manifest or index.
    static func decode<T: Decodable>(_ type: T.Type, _ content: [UInt8], _ descriptor: Descriptor) throws -> T {
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(content))
        } catch let error as OCIError {
            throw RegistryError(
                .failedPrecondition, "invalid \(descriptor.mediaType) \(descriptor.digest): \(error.message)")
        } catch {
            throw RegistryError(.failedPrecondition, "invalid \(descriptor.mediaType) \(descriptor.digest): \(error)")
        }
        do {
            if let index = value as? Index {
                try index.validate()
                if let declared = index.mediaType, declared.base != descriptor.mediaType.base {
                    throw OCIError(
                        .invalidArgument, "declares media type \(declared), descriptor says \(descriptor.mediaType)")
                }
            }
            if let manifest = value as? Manifest {
                try manifest.validate()
                if let declared = manifest.mediaType, declared.base != descriptor.mediaType.base {
                    throw OCIError(
                        .invalidArgument, "declares media type \(declared), descriptor says \(descriptor.mediaType)")
                }
            }
        } catch let error as OCIError {
            throw RegistryError(
                .failedPrecondition, "invalid \(descriptor.mediaType) \(descriptor.digest): \(error.message)")
        }
        return value
    }

    /// containerd's labels tying a document to its children for the garbage collector.
    static func gcLabels(_ node: ImageNode) -> [String: String] {
        var labels: [String: String] = [:]
        switch node {
        case .index(_, _, _, let children):
            for (offset, child) in children.enumerated() {
                labels["containerd.io/gc.ref.content.m.\(offset)"] = child.digest.description
            }
        case .manifest(_, _, let manifest):
            labels["containerd.io/gc.ref.content.config"] = manifest.config.digest.description
            for (offset, layer) in manifest.layers.enumerated() {
                labels["containerd.io/gc.ref.content.l.\(offset)"] = layer.digest.description
            }
        }
        return labels
    }
}
