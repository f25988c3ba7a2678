import BerthArchive
import BerthErrors
import BerthOCI
import BerthSnapshots

extension Unpacker {
    /// Applies layers one after another, each into a snapshot on its parent.
    func unpackInSequence(_ layers: [UnpackLayer], chainIDs: [Digest], indices: [Int], abort: AbortFlag)
        async throws -> [AppliedLayer]
    {
        var committed: [String] = []
        var applied: [AppliedLayer] = []
        for (position, index) in indices.enumerated() {
            let layer = layers[index]
            let name = chainIDs[index].string
            let parent = index > 0 ? chainIDs[index - 1].string : nil
            do {
                let (result, didCommit) = try await BlockingThread.run {
                    try self.applyOnParent(layer, name: name, parent: parent, abort: abort)
                }
                if didCommit {
                    committed.append(name)
                }
                applied.append(result)
            } catch {
                abort.set()
                for later in indices[(position + 1)...] {
                    Self.discard(layers[later])
                }
                rollBack(committed)
                throw error
            }
        }
        return applied
    }

    /// Runs on a thread: prepare on the parent, apply, finalize, commit.
    private func applyOnParent(_ layer: UnpackLayer, name: String, parent: String?, abort: AbortFlag) throws
        -> (AppliedLayer, Bool)
    {
        let source = try layer.open()
        defer { source.close() }
        abort.register(source)
        if abort.isSet {
            throw UnpackError(.cancelled, layer: layer.descriptor.digest, "unpack abandoned")
        }
        let key = Self.extractKey(layer.diffID)
        try options.willPrepare?(key)
        _ = try snapshotter.prepare(key: key, parent: parent, labels: [:], namespace: options.namespace)
        do {
            let target = try snapshotter.diffTarget(key: key, namespace: options.namespace)
            let applier = try LayerApplier(
                target: target, layer: layer.descriptor.digest, limits: options.limits, logger: logger)
            let applied = try applier.apply(source: AbortableSource(source, abort: abort), diffID: layer.diffID)
            try applier.finalize(lowerDirectories: target.lowerDirectories)
            do {
                try snapshotter.commit(name: name, key: key, labels: options.labels, namespace: options.namespace)
            } catch let error as SnapshotError where error.code == .alreadyExists {
                try? snapshotter.remove(key: key, namespace: options.namespace)
                return (applied, false)
            }
            return (applied, true)
        } catch {
            try? snapshotter.remove(key: key, namespace: options.namespace)
            throw UnpackError.wrapping(error, layer: layer.descriptor.digest)
        }
    }
}
