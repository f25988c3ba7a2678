internal import BerthContent
internal import BerthMetadata
internal import BerthOCI
internal import FoundationEssentials
internal import Logging

extension GarbageCollector {
    /// Everything the mark phase needs, read once inside the transaction.
    struct Graph {
        var namespaces: [String] = []
        var content: [String: [String: ContentInfo]] = [:]
        var snapshots: [String: [SnapshotRecord]] = [:]
        var expiredLeases: [(namespace: String, id: String)] = []

        func snapshot(_ namespace: String, _ snapshotter: String, _ key: String) -> SnapshotRecord? {
            snapshots[snapshotter]?.first { $0.namespace == namespace && $0.key == key }
        }
    }

    /// Marks from the roots and sweeps metadata, blobs and ingests. Returns
    /// the unreachable snapshots, removed after the transaction.
    func markAndSweep(_ connection: Connection, report: inout GCReport) throws -> [DoomedSnapshot] {
        var graph = Graph()
        graph.namespaces = try connection.query("SELECT name FROM namespaces ORDER BY name") { $0.text(0) }
        for namespace in graph.namespaces {
            graph.content[namespace] = Dictionary(
                try connection.listContent(namespace: namespace).map { ($0.digest.string, $0) },
                uniquingKeysWith: { first, _ in first })
        }
        for snapshotter in snapshotters {
            graph.snapshots[snapshotter.snapshotterName] = try snapshotter.walkSnapshots()
        }
        let marked = try mark(connection, &graph, now: report.startedAt)

        // Sweep blob records, then files nobody records.
        for namespace in graph.namespaces {
            for (digest, info) in graph.content[namespace] ?? [:]
            where !marked.contains(.content(namespace: namespace, digest: digest)) {
                try connection.deleteContent(namespace: namespace, digest: info.digest)
                report.content.append(.init(namespace: namespace, digest: info.digest))
            }
        }
        report.blobs = try content.removeUnreferencedBlobs(connection)

        for lease in graph.expiredLeases {
            try connection.run("DELETE FROM leases WHERE namespace = ? AND id = ?", lease.namespace, lease.id)
            report.leases.append("\(lease.namespace)/\(lease.id)")
        }

        let idleBefore = Timestamp.now().adding(.zero - ingestGracePeriod)
        for (namespace, status) in try content.allIngests()
        where !marked.contains(.ingest(namespace: namespace, ref: status.ref)) && status.updatedAt <= idleBefore {
            do {
                try content.abort(ref: status.ref, namespace: namespace)
                report.ingests.append("\(namespace)/\(status.ref)")
            } catch {
                logger.debug("kept ingest", metadata: ["ref": "\(status.ref)", "reason": "\(error)"])
            }
        }

        try content.removeStaleTemporaryIngests(olderThan: ingestGracePeriod)

        var doomed: [DoomedSnapshot] = []
        for (snapshotter, records) in graph.snapshots {
            for record in records {
                let node = GCNode.snapshot(namespace: record.namespace, snapshotter: snapshotter, key: record.key)
                if !marked.contains(node) {
                    doomed.append(DoomedSnapshot(snapshotter: snapshotter, record: record))
                }
            }
        }
        return doomed
    }

    private func mark(_ connection: Connection, _ graph: inout Graph, now: Timestamp) throws -> Set<GCNode> {
        var marked = Set<GCNode>()
        var followed = Set<GCNode>()
        // (node, follow references?, media type hint)
        var queue: [(GCNode, Bool, MediaType?)] = []

        for namespace in graph.namespaces {
            for lease in try connection.leases(namespace: namespace) {
                if lease.isExpired(at: now) {
                    graph.expiredLeases.append((namespace, lease.id))
                    continue
                }
                let flat = lease.labels[Labels.gcFlat] != nil
                for resource in try connection.leaseResources(namespace: namespace, lease: lease.id) {
                    if resource.type == LeaseResource.contentType {
                        queue.append((.content(namespace: namespace, digest: resource.id), !flat, nil))
                    } else if resource.type == LeaseResource.ingestType {
                        queue.append((.ingest(namespace: namespace, ref: resource.id), false, nil))
                    } else if let snapshotter = resource.snapshotter {
                        queue.append(
                            (.snapshot(namespace: namespace, snapshotter: snapshotter, key: resource.id), !flat, nil))
                    }
                }
            }
            for image in try connection.images(namespace: namespace) {
                queue.append(
                    (.content(namespace: namespace, digest: image.target.digest.string), true, image.target.mediaType))
                queue += labelReferences(image.labels, namespace: namespace).map { ($0, true, nil) }
            }
            for info in (graph.content[namespace] ?? [:]).values where info.labels[Labels.gcRoot] != nil {
                queue.append((.content(namespace: namespace, digest: info.digest.string), true, nil))
            }
            for container in try connection.containers(namespace: namespace) {
                if !container.snapshotter.isEmpty && !container.snapshotKey.isEmpty {
                    queue.append(
                        (
                            .snapshot(
                                namespace: namespace, snapshotter: container.snapshotter, key: container.snapshotKey),
                            true, nil
                        ))
                }
                queue += labelReferences(container.labels, namespace: namespace).map { ($0, true, nil) }
            }
        }
        for (snapshotter, records) in graph.snapshots {
            for record in records where record.labels[Labels.gcRoot] != nil {
                queue.append(
                    (.snapshot(namespace: record.namespace, snapshotter: snapshotter, key: record.key), true, nil))
            }
        }

        while let (node, follow, hint) = queue.popLast() {
            marked.insert(node)
            guard follow, followed.insert(node).inserted else { continue }
            queue += references(of: node, graph: graph, hint: hint)
        }
        return marked
    }

    /// The nodes `node` references.
    private func references(of node: GCNode, graph: Graph, hint: MediaType?) -> [(GCNode, Bool, MediaType?)] {
        switch node {
        case .content(let namespace, let digest):
            guard let info = graph.content[namespace]?[digest] else { return [] }
            var result = labelReferences(info.labels, namespace: namespace).map { ($0, true, MediaType?.none) }
            result += childDescriptors(of: info, namespace: namespace, hint: hint).map {
                (.content(namespace: namespace, digest: $0.digest.string), true, $0.mediaType)
            }
            return result
        case .snapshot(let namespace, let snapshotter, let key):
            guard let record = graph.snapshot(namespace, snapshotter, key) else { return [] }
            var result = labelReferences(record.labels, namespace: namespace).map { ($0, true, MediaType?.none) }
            if let parent = record.parent, !parent.isEmpty {
                result.append((.snapshot(namespace: namespace, snapshotter: snapshotter, key: parent), true, nil))
            }
            return result
        case .ingest:
            return []
        }
    }

    /// For an index or manifest blob, the descriptors it lists. Layers and
    /// large blobs are not read.
    private func childDescriptors(of info: ContentInfo, namespace: String, hint: MediaType?) -> [Descriptor] {
        if let hint, !hint.isIndex && !hint.isManifest {
            return []
        }
        guard info.size <= Self.maxManifestSize, info.size > 1 else { return [] }
        let bytes: [UInt8]
        do {
            bytes = try content.readBlobFile(info.digest, limit: Int(Self.maxManifestSize))
        } catch {
            logger.warning(
                "cannot read blob while marking", metadata: ["digest": "\(info.digest)", "error": "\(error)"])
            return []
        }
        guard bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") else {
            return []
        }
        let data = Data(bytes)
        let decoder = JSONDecoder()
        let probe = try? decoder.decode(MediaTypeProbe.self, from: data)
        let mediaType = hint ?? probe?.mediaType
        if mediaType?.isIndex == true || (mediaType == nil && probe?.manifests != nil) {
            if let index = try? decoder.decode(Index.self, from: data) {
                return index.manifests
            }
        }
        if mediaType?.isManifest == true || (mediaType == nil && probe?.layers != nil) {
            if let manifest = try? decoder.decode(Manifest.self, from: data) {
                return manifest.blobs
            }
        }
        return []
    }
}

/// Just enough of a manifest or index to tell which it is.
private struct MediaTypeProbe: Decodable {
    var mediaType: MediaType?
    var manifests: [IgnoredValue]?
    var layers: [IgnoredValue]?
}

private struct IgnoredValue: Decodable {
    init(from decoder: any Decoder) throws {}
}
