import BerthArchive
import BerthContent
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthSnapshots
import BerthUnpack
import Logging
import Synchronization

/// The pull's layer sink: announces the chosen image to the progress
/// tracker and hands layers to the streaming unpack.
struct PullSink: LayerSink {
    let tracker: PullProgressTracker
    let unpack: StreamingUnpack?

    func consumer(for layer: Descriptor, index: Int, image: PulledImage) async throws -> (any LayerConsumer)? {
        tracker.announce(image)
        return try unpack?.consumer(for: layer, index: index, image: image)
    }
}

/// Unpacks an image's layers while they download.
///
/// With a snapshotter that stores diffs (overlayfs), the unpack starts when
/// the registry client offers the first layer: every layer gets a
/// `ByteChannel`, fed either by its download or, for a layer the client does
/// not stream (already in the store, or a repeat of another layer), from the
/// content store once the blob is there. With other snapshotters the layers
/// are unpacked from the store after the download.
///
/// Snapshots are added to the pull's lease before they exist, so a GC
/// between commit and the config's `gc.ref.snapshot` label keeps them.
final class StreamingUnpack: Sendable {
    private enum Slot {
        case pending
        case streamed
        case fed
    }

    private struct State {
        var layers: [Descriptor] = []
        var diffIDs: [Digest] = []
        var channels: [ByteChannel] = []
        var slots: [Slot] = []
        var task: Task<Unpacker.Result, any Error>?
        var onFailure: [@Sendable () -> Void] = []
        /// The unpack's own error, if it failed before the download did.
        var unpackError: (any Error)?
        var abandoned = false
    }

    /// containerd's label on a layer blob: the digest of the uncompressed tar.
    static let uncompressedLabel = "containerd.io/uncompressed"

    let snapshotter: any Snapshotter
    let content: NamespacedContent
    let leases: LeaseStore
    let lease: String
    let limits: UnpackLimits
    let logger: Logger
    private let state = Mutex(State())

    init(
        snapshotter: any Snapshotter, content: NamespacedContent, leases: LeaseStore, lease: String,
        limits: UnpackLimits = UnpackLimits(), logger: Logger
    ) {
        self.limits = limits
        self.snapshotter = snapshotter
        self.content = content
        self.leases = leases
        self.lease = lease
        self.logger = logger
    }

    var namespace: String { content.namespace }

    /// Registers `body` to run if the unpack fails (the caller cancels the download).
    func onFailure(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.onFailure.append(body) }
    }

    /// The consumer for a layer the registry client is about to download.
    func consumer(for layer: Descriptor, index: Int, image: PulledImage) throws -> (any LayerConsumer)? {
        guard snapshotter.storesDiffs, let diffIDs = Self.diffIDs(manifest: image.manifest, config: image.config),
            index < diffIDs.count
        else {
            return nil
        }
        if state.withLock({ $0.task == nil }) {
            try start(layers: image.manifest.layers, diffIDs: diffIDs)
        }
        return state.withLock { state -> (any LayerConsumer)? in
            guard index < state.slots.count, state.slots[index] == .pending,
                state.layers[index].digest == layer.digest
            else { return nil }
            state.slots[index] = .streamed
            return TolerantConsumer(channel: state.channels[index])
        }
    }

    /// Feeds layers the client does not stream from the store once their blob is committed.
    func observe(_ event: PullProgress) {
        switch event {
        case .done(let descriptor): feed(descriptor.digest, includingStreamed: false)
        // The client found the blob committed (by another pull) and sends
        // nothing to the consumer it asked for.
        case .exists(let descriptor): feed(descriptor.digest, includingStreamed: true)
        default: break
        }
    }

    /// After a successful download: completes the unpack, labels the layers
    /// and the config as containerd does, and returns the top chain ID.
    /// (containerd 1.6 leaves no labels on the committed snapshots.)
    func finish(image: PulledImage) async throws -> Digest {
        try await finish(manifest: image.manifest, config: image.config)
    }

    /// Unpacks `manifest`'s layers (streamed ones as they arrive, the rest
    /// from the store), labels them and the config; returns the top chain ID.
    func finish(manifest: Manifest, config: ImageConfig?) async throws -> Digest {
        guard let diffIDs = Self.diffIDs(manifest: manifest, config: config) else {
            throw DaemonError.failedPrecondition(
                "image config \(manifest.config.digest) does not list one diff ID per layer; cannot unpack")
        }
        let layers = manifest.layers
        let running = state.withLock { $0.task }
        let result: Unpacker.Result
        if let running {
            feedRemaining()
            result = try await running.value
        } else {
            try protect(Digest.chainIDs(diffIDs: diffIDs))
            var sources: [UnpackLayer] = []
            for (layer, diffID) in zip(layers, diffIDs) {
                sources.append(
                    UnpackLayer(
                        descriptor: layer, diffID: diffID,
                        path: try content.store.path(for: layer.digest, namespace: namespace)))
            }
            result = try await makeUnpacker().unpack(sources)
        }
        guard let top = result.chainID else {
            throw DaemonError.internal("unpack of \(manifest.config.digest) produced no snapshot")
        }
        for (layer, diffID) in zip(layers, diffIDs) {
            try await content.addLabels([Self.uncompressedLabel: diffID.string], to: layer.digest)
        }
        try await content.addLabels(
            [Labels.gcRefSnapshotPrefix + snapshotter.name: top.string], to: manifest.config.digest)
        return top
    }

    /// After a failed download: stops the unpack and waits for it to roll back.
    /// Returns the unpack's own error if the unpack failed first.
    func abandon(_ error: any Error) async -> (any Error)? {
        let (task, channels) = state.withLock { state in
            state.abandoned = true
            return (state.task, state.channels)
        }
        for channel in channels {
            channel.fail(error)
        }
        _ = try? await task?.value
        return state.withLock { $0.unpackError }
    }

    // MARK: private

    static func diffIDs(manifest: Manifest, config: ImageConfig?) -> [Digest]? {
        guard let diffIDs = config?.rootfs.diffIDs, diffIDs.count == manifest.layers.count, !diffIDs.isEmpty
        else { return nil }
        return diffIDs
    }

    private func makeUnpacker() -> Unpacker {
        let leases = self.leases
        let lease = self.lease
        let namespace = self.namespace
        let type = LeaseResource.snapshotType(snapshotter.name)
        return Unpacker(
            snapshotter: snapshotter, logger: logger,
            options: Unpacker.Options(
                limits: limits, namespace: namespace,
                willPrepare: { key in
                    try leases.addResource(namespace: namespace, lease: lease, LeaseResource(id: key, type: type))
                }))
    }

    /// Adds the snapshots an unpack will commit to the lease.
    private func protect(_ chainIDs: [Digest]) throws {
        let type = LeaseResource.snapshotType(snapshotter.name)
        for chainID in chainIDs {
            try leases.addResource(namespace: namespace, lease: lease, LeaseResource(id: chainID.string, type: type))
        }
    }

    private func start(layers: [Descriptor], diffIDs: [Digest]) throws {
        try protect(Digest.chainIDs(diffIDs: diffIDs))
        let unpacker = makeUnpacker()
        state.withLock { state in
            guard state.task == nil else { return }
            state.layers = layers
            state.diffIDs = diffIDs
            state.channels = layers.map { _ in ByteChannel() }
            state.slots = layers.map { _ in .pending }
            let sources = zip(zip(layers, diffIDs), state.channels).map { pair, channel in
                UnpackLayer(descriptor: pair.0, diffID: pair.1, channel: channel)
            }
            state.task = Task {
                do {
                    return try await unpacker.unpack(sources)
                } catch {
                    self.failed(error)
                    throw error
                }
            }
        }
    }

    private func failed(_ error: any Error) {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.abandoned else { return [] }
            state.unpackError = error
            return state.onFailure
        }
        for handler in handlers {
            handler()
        }
    }

    private func feed(_ digest: Digest, includingStreamed: Bool) {
        let channels = state.withLock { state -> [ByteChannel] in
            var out: [ByteChannel] = []
            for index in state.slots.indices where state.layers[index].digest == digest {
                guard state.slots[index] == .pending || (includingStreamed && state.slots[index] == .streamed)
                else { continue }
                state.slots[index] = .fed
                out.append(state.channels[index])
            }
            return out
        }
        for channel in channels {
            feed(channel, from: digest)
        }
    }

    /// Feeds every layer still waiting (the download is complete).
    private func feedRemaining() {
        let waiting = state.withLock { state -> [(ByteChannel, Digest)] in
            var out: [(ByteChannel, Digest)] = []
            for index in state.slots.indices where state.slots[index] == .pending {
                state.slots[index] = .fed
                out.append((state.channels[index], state.layers[index].digest))
            }
            return out
        }
        for (channel, digest) in waiting {
            feed(channel, from: digest)
        }
    }

    private func feed(_ channel: ByteChannel, from digest: Digest) {
        let content = self.content
        Task {
            do {
                for try await chunk in try await content.readChunks(of: digest, from: 0) {
                    try await channel.send(chunk)
                }
                channel.finish()
            } catch {
                channel.fail(error)
            }
        }
    }
}

/// Pushes a download into a `ByteChannel`. If the unpack stops reading (it
/// found the layer's snapshot already there), the download goes on into the
/// content store alone.
private struct TolerantConsumer: LayerConsumer {
    let channel: ByteChannel

    func consume(_ chunk: [UInt8]) async throws {
        do {
            try await channel.send(chunk)
        } catch {
            // The reader is gone; the blob is still wanted in the store.
        }
    }

    func finish() async throws {
        channel.finish()
    }

    func abort(_ error: any Error) async {
        channel.fail(error)
    }
}
