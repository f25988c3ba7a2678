import BerthArchive
import BerthErrors
import BerthOCI
import BerthSnapshots
import Logging

/// A layer applied into a parentless active snapshot, waiting for its parents.
final class PreparedLayer: @unchecked Sendable {
    let key: String
    let applier: LayerApplier
    let applied: AppliedLayer

    init(key: String, applier: LayerApplier, applied: AppliedLayer) {
        self.key = key
        self.applier = applier
        self.applied = applied
    }
}

extension Unpacker {
    /// Applies every layer at once, then finalizes and commits in chain order.
    func unpackInParallel(_ layers: [UnpackLayer], chainIDs: [Digest], indices: [Int], abort: AbortFlag)
        async throws -> [AppliedLayer]
    {
        let slots = AsyncSemaphore(options.maxConcurrentLayers ?? indices.count)
        var tasks: [Task<PreparedLayer, any Error>] = []
        for index in indices {
            let layer = layers[index]
            let key = Self.extractKey(chainIDs[index])
            tasks.append(
                Task {
                    await slots.acquire()
                    do {
                        let prepared = try await BlockingThread.run {
                            try self.applyDetached(layer, key: key, abort: abort)
                        }
                        await slots.release()
                        return prepared
                    } catch {
                        // Stop the other layers now: the commit loop may be
                        // waiting on an earlier layer whose download stalls.
                        abort.set()
                        await slots.release()
                        throw error
                    }
                })
        }
        var committed: [String] = []
        var applied: [AppliedLayer] = []
        var failure: (any Error)?
        for (index, task) in zip(indices, tasks) {
            do {
                let prepared = try await task.value
                if failure != nil {
                    try? snapshotter.remove(key: prepared.key, namespace: options.namespace)
                    continue
                }
                let name = chainIDs[index].string
                let parent = index > 0 ? chainIDs[index - 1].string : nil
                let didCommit = try await BlockingThread.run {
                    try self.commitDetached(prepared, name: name, parent: parent, layer: layers[index])
                }
                if didCommit {
                    committed.append(name)
                }
                applied.append(prepared.applied)
            } catch {
                abort.set()
                if failure == nil || (Self.isCancellation(failure) && !Self.isCancellation(error)) {
                    failure = error
                }
            }
        }
        if let failure {
            rollBack(committed)
            throw failure
        }
        return applied
    }

    /// Runs on a thread: prepares a parentless snapshot and applies the layer into it.
    func applyDetached(_ layer: UnpackLayer, key: String, abort: AbortFlag) throws -> PreparedLayer {
        let source = try layer.open()
        defer { source.close() }
        abort.register(source)
        if abort.isSet {
            throw UnpackError(.cancelled, layer: layer.descriptor.digest, "unpack abandoned")
        }
        try options.willPrepare?(key)
        _ = try snapshotter.prepare(key: key, parent: nil, labels: [:], namespace: options.namespace)
        do {
            let target = try snapshotter.diffTarget(key: key, namespace: options.namespace)
            let applier = try LayerApplier(
                target: target, layer: layer.descriptor.digest, limits: options.limits, logger: logger)
            let applied = try applier.apply(source: AbortableSource(source, abort: abort), diffID: layer.diffID)
            return PreparedLayer(key: key, applier: applier, applied: applied)
        } catch {
            try? snapshotter.remove(key: key, namespace: options.namespace)
            throw error
        }
    }

    /// Runs on a thread: finalizes against the committed parent and commits.
    /// Returns false when another unpack committed the same chain ID first.
    func commitDetached(_ prepared: PreparedLayer, name: String, parent: String?, layer: UnpackLayer) throws -> Bool {
        do {
            if let parent {
                let lowers = try snapshotter.layerDirectories(key: parent, namespace: options.namespace)
                try prepared.applier.finalize(lowerDirectories: lowers)
            }
            try snapshotter.commitDiff(
                name: name, key: prepared.key, parent: parent, labels: options.labels, namespace: options.namespace)
            return true
        } catch let error as SnapshotError where error.code == .alreadyExists {
            try? snapshotter.remove(key: prepared.key, namespace: options.namespace)
            return false
        } catch {
            try? snapshotter.remove(key: prepared.key, namespace: options.namespace)
            throw UnpackError.wrapping(error, layer: layer.descriptor.digest)
        }
    }

    /// Removes the snapshots this unpack committed, newest first.
    func rollBack(_ committed: [String]) {
        for name in committed.reversed() {
            do {
                try snapshotter.remove(key: name, namespace: options.namespace)
            } catch {
                logger.warning("could not roll back snapshot", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        }
    }

    static func isCancellation(_ error: (any Error)?) -> Bool {
        guard let error else { return false }
        if let berth = error as? any BerthError {
            return berth.code == .cancelled
        }
        return error is CancellationError
    }
}

/// Bounds how many layers are applied at once.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        available = max(1, count)
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
