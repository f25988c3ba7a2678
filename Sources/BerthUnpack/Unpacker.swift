public import BerthOCI
public import BerthSnapshots
public import Logging
import BerthArchive
import BerthErrors
import BerthMetadata

/// Unpacks an image's layers into committed snapshots named by chain ID,
/// as containerd's `image.Unpack` + `Diff.Apply` do, but without mounting:
/// each layer is written straight into its snapshot's directory.
///
/// With a snapshotter that stores diffs (overlayfs), every missing layer is
/// applied at once into its own parentless active snapshot (each on a
/// thread of its own, reading its source while it downloads), then the
/// layers are finalized against their parents and committed in chain order.
/// With the native snapshotter, layers are applied one after another into a
/// copy of their parent.
///
/// All or nothing: if any layer fails, every snapshot this call created is
/// removed, and the error names the layer and entry.
public struct Unpacker: Sendable {
    /// Settings of an unpack.
    public struct Options: Sendable {
        public var limits: UnpackLimits
        /// The snapshot namespace.
        public var namespace: String
        /// Labels for the committed snapshots.
        public var labels: [String: String]
        /// The most layers applied at once (overlay); nil: all of them. When
        /// layers are fed from `ByteChannel`s, do not bound this below the
        /// number of layers being downloaded at once, or a download may wait
        /// for an unpack slot that waits for another download.
        public var maxConcurrentLayers: Int?
        /// Called with each extraction key before its snapshot is prepared,
        /// so the caller can add it to a lease (GC protection).
        public var willPrepare: (@Sendable (String) throws -> Void)?

        public init(
            limits: UnpackLimits = UnpackLimits(),
            namespace: String = "default",
            labels: [String: String] = [:],
            maxConcurrentLayers: Int? = nil,
            willPrepare: (@Sendable (String) throws -> Void)? = nil
        ) {
            self.limits = limits
            self.namespace = namespace
            self.labels = labels
            self.maxConcurrentLayers = maxConcurrentLayers
            self.willPrepare = willPrepare
        }
    }

    /// What `unpack` did.
    public struct Result: Sendable {
        /// The chain ID of every layer prefix; the last names the image's top snapshot.
        public var chainIDs: [Digest]
        /// Per input layer: what applying it produced, or nil if its snapshot already existed.
        public var applied: [AppliedLayer?]

        /// The top snapshot's name.
        public var chainID: Digest? { chainIDs.last }
    }

    public let snapshotter: any Snapshotter
    public let logger: Logger
    public var options: Options

    public init(snapshotter: any Snapshotter, logger: Logger, options: Options = Options()) {
        self.snapshotter = snapshotter
        self.logger = logger
        self.options = options
    }

    /// Unpacks `layers` (base first). Layers whose chain ID is already
    /// committed are skipped (their sources are opened and closed unread).
    ///
    /// - Throws: `UnpackError` naming the layer (and entry) that failed.
    public func unpack(_ layers: [UnpackLayer]) async throws -> Result {
        do {
            return try await unpackUntyped(layers)
        } catch {
            throw UnpackError.wrapping(error, layer: nil)
        }
    }

    /// Applies one layer into the existing active snapshot `key` (whose
    /// parents are complete) and verifies its diff ID, as `Diff.Apply`.
    public func apply(_ layer: UnpackLayer, toActive key: String) async throws -> AppliedLayer {
        let snapshotter = self.snapshotter
        let options = self.options
        let logger = self.logger
        do {
            return try await BlockingThread.run {
                let source = try layer.open()
                defer { source.close() }
                let target = try snapshotter.diffTarget(key: key, namespace: options.namespace)
                let applier = try LayerApplier(
                    target: target, layer: layer.descriptor.digest, limits: options.limits, logger: logger)
                let applied = try applier.apply(source: source, diffID: layer.diffID)
                try applier.finalize(lowerDirectories: target.lowerDirectories)
                return applied
            }
        } catch {
            throw UnpackError.wrapping(error, layer: layer.descriptor.digest)
        }
    }

    private func unpackUntyped(_ layers: [UnpackLayer]) async throws -> Result {
        guard !layers.isEmpty else {
            throw UnpackError(.invalidArgument, "the image has no layers")
        }
        let chainIDs = Digest.chainIDs(diffIDs: layers.map(\.diffID))
        var start = 0
        for index in chainIDs.indices.reversed()
        where try snapshotter.exists(key: chainIDs[index].string, namespace: options.namespace) {
            start = index + 1
            break
        }
        var result = Result(chainIDs: chainIDs, applied: Array(repeating: nil, count: layers.count))
        for layer in layers[..<start] {
            Self.discard(layer)
        }
        guard start < layers.count else { return result }
        logger.debug(
            "unpacking layers",
            metadata: ["layers": "\(layers.count - start)", "snapshotter": "\(snapshotter.name)"])
        let abort = AbortFlag()
        let work = Array(start..<layers.count)
        let applied = try await withTaskCancellationHandler {
            if snapshotter.storesDiffs {
                try await unpackInParallel(layers, chainIDs: chainIDs, indices: work, abort: abort)
            } else {
                try await unpackInSequence(layers, chainIDs: chainIDs, indices: work, abort: abort)
            }
        } onCancel: {
            abort.set()
        }
        for (index, layer) in zip(work, applied) {
            result.applied[index] = layer
        }
        return result
    }

    /// Opens and closes a layer's source unread, so a producer stops feeding it.
    static func discard(_ layer: UnpackLayer) {
        if let source = try? layer.open() {
            source.close()
        }
    }

    /// A fresh extraction key, as containerd names them.
    static func extractKey(_ chainID: Digest) -> String {
        let nanos = Timestamp.now().nanoseconds
        return "extract-\(nanos)-\(UInt32.random(in: 0...UInt32.max)) \(chainID)"
    }
}
