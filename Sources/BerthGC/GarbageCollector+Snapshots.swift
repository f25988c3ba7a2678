internal import BerthMetadata
internal import Logging

/// An unreachable snapshot found by the mark phase.
struct DoomedSnapshot: Hashable {
    var snapshotter: String
    var record: SnapshotRecord

    var node: GCNode {
        .snapshot(namespace: record.namespace, snapshotter: snapshotter, key: record.key)
    }

    var parentNode: GCNode? {
        guard let parent = record.parent, !parent.isEmpty else { return nil }
        return .snapshot(namespace: record.namespace, snapshotter: snapshotter, key: parent)
    }
}

extension GarbageCollector {
    /// Removes unreachable snapshots, children before parents. A failure is
    /// logged and reported; the snapshot (and so its parents) stay for next time.
    func removeSnapshots(_ doomed: [DoomedSnapshot], report: inout GCReport) {
        var byName: [String: any SnapshotCollector] = [:]
        for snapshotter in snapshotters {
            byName[snapshotter.snapshotterName] = snapshotter
        }
        var remaining = Dictionary(doomed.map { ($0.node, $0) }, uniquingKeysWith: { first, _ in first })
        while true {
            let parents = Set(remaining.values.compactMap(\.parentNode))
            let leaves = remaining.filter { !parents.contains($0.key) }.map(\.value)
            guard !leaves.isEmpty else { break }
            for snapshot in leaves.sorted(by: { $0.record.key < $1.record.key }) {
                let reported = GCReport.SnapshotKey(
                    namespace: snapshot.record.namespace, snapshotter: snapshot.snapshotter, key: snapshot.record.key)
                remaining[snapshot.node] = nil
                do {
                    try byName[snapshot.snapshotter]?.removeSnapshot(
                        namespace: snapshot.record.namespace, key: snapshot.record.key)
                    report.snapshots.append(reported)
                } catch {
                    logger.warning(
                        "cannot remove snapshot",
                        metadata: [
                            "snapshotter": "\(snapshot.snapshotter)", "key": "\(snapshot.record.key)",
                            "error": "\(error)",
                        ])
                    report.snapshotFailures.append(reported)
                    // Its parents must stay: drop the whole chain above it.
                    var parent = snapshot.parentNode
                    while let node = parent, let next = remaining.removeValue(forKey: node) {
                        parent = next.parentNode
                    }
                }
            }
        }
    }
}
