internal import BerthMetadata
internal import BerthOCI

/// A resource in the reference graph.
enum GCNode: Hashable {
    case content(namespace: String, digest: String)
    case snapshot(namespace: String, snapshotter: String, key: String)
    case ingest(namespace: String, ref: String)
}

/// The nodes an object's labels reference (`containerd.io/gc.ref.*`).
func labelReferences(_ labels: [String: String], namespace: String) -> [GCNode] {
    var nodes: [GCNode] = []
    for (key, value) in labels where !value.isEmpty {
        if key.hasPrefix(Labels.gcRefSnapshotPrefix) {
            let snapshotter = String(key.dropFirst(Labels.gcRefSnapshotPrefix.count))
            if !snapshotter.isEmpty {
                nodes.append(.snapshot(namespace: namespace, snapshotter: snapshotter, key: value))
            }
        } else if key.hasPrefix(Labels.gcRefContentPrefix) {
            // containerd accepts both `…content` and `…content.<anything>`.
            let rest = key.dropFirst(Labels.gcRefContentPrefix.count)
            if rest.isEmpty || rest.hasPrefix("."), let digest = Digest(value) {
                nodes.append(.content(namespace: namespace, digest: digest.string))
            }
        }
    }
    return nodes
}
