import BerthAPI
import BerthArchive
import BerthContent
import BerthErrors
import BerthMetadata
import BerthOCI
import BerthSnapshots
import BerthUnpack
import GRPCCore
import Logging
import NIOPosix

extension DiffService {
    /// The label naming a compressed blob's uncompressed digest.
    static let uncompressedLabel = "containerd.io/uncompressed"

    /// `Diff`: mounts `left` and `right` read-only in temporary directories
    /// (always unmounted), writes the layer from left to right into the
    /// content store through an ingest named `ref` (under the call's lease),
    /// and commits it with `labels`, plus `containerd.io/uncompressed` for
    /// a compressed layer. Media types: OCI layer tar (uncompressed), gzip
    /// (the default, as containerd) and zstd; others are NotImplemented.
    public func diff(
        request: ServerRequest<Containerd_Services_Diff_V1_DiffRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Diff_V1_DiffResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let lease = request.metadata.lease
            let message = request.message
            let mediaType = message.mediaType.isEmpty ? MediaType.ociLayerGzip.rawValue : message.mediaType
            let compression = try Self.compression(for: mediaType)
            let left = message.left.map(\.snapshotMount)
            let right = message.right.map(\.snapshotMount)
            let job = DiffJob(
                content: content, namespace: namespace, lease: lease, ref: message.ref, labels: message.labels,
                compression: compression, temporaryMounts: temporaryMounts, logger: logger)
            let info = try await NIOThreadPool.singleton.runIfActive { try job.run(left: left, right: right) }
            var response = Containerd_Services_Diff_V1_DiffResponse()
            response.diff.mediaType = mediaType
            response.diff.digest = info.digest.string
            response.diff.size = info.size
            return ServerResponse(message: response)
        }
    }

    static func compression(for mediaType: String) throws(DaemonError) -> TarReader.Compression {
        switch MediaType(rawValue: mediaType) {
        case .ociLayer: .none
        case .ociLayerGzip: .gzip
        case .ociLayerZstd: .zstd
        default: throw DaemonError(.notImplemented, "unsupported diff media type: \(mediaType)")
        }
    }
}

/// One Diff call's blocking work.
struct DiffJob: Sendable {
    let content: ContentStore
    let namespace: String
    let lease: String?
    let ref: String
    let labels: [String: String]
    let compression: TarReader.Compression
    let temporaryMounts: String
    let logger: Logger

    func run(left: [BerthSnapshots.Mount], right: [BerthSnapshots.Mount]) throws -> ContentInfo {
        try left.withTemporaryMount(readOnly: true, under: temporaryMounts) { lower in
            try right.withTemporaryMount(readOnly: true, under: temporaryMounts) { upper in
                try write(lower: lower, upper: upper)
            }
        }
    }

    private func write(lower: String, upper: String) throws -> ContentInfo {
        let generated = ref.isEmpty
        let ref = generated ? Self.uniqueRef() : self.ref
        let writer = try content.writer(ref: ref, namespace: namespace, lease: lease)
        defer { writer.close() }
        var labels = self.labels
        do {
            if !generated {
                try writer.truncate(to: 0)
            }
            let layer = try LayerDiff.write(
                lower: lower, upper: upper, compression: compression, logger: logger
            ) { try writer.write($0) }
            if compression != .none {
                labels[DiffService.uncompressedLabel] = layer.diffID.string
            }
            let digest = writer.digest
            do {
                return try writer.commit(labels: labels)
            } catch let error as any BerthError where error.code == .alreadyExists {
                return try existing(digest, diffID: labels[DiffService.uncompressedLabel])
            }
        } catch {
            if generated {
                writer.close()
                try? content.abort(ref: ref, namespace: namespace)
            }
            throw error
        }
    }

    /// A blob that was already there: give it the uncompressed label if it
    /// has none (as containerd does).
    private func existing(_ digest: Digest, diffID: String?) throws -> ContentInfo {
        var info = try content.info(digest, namespace: namespace)
        guard let diffID, info.labels[DiffService.uncompressedLabel] == nil else { return info }
        info.labels[DiffService.uncompressedLabel] = diffID
        return try content.update(
            info, fieldPaths: ["labels." + DiffService.uncompressedLabel], namespace: namespace)
    }

    static func uniqueRef() -> String {
        let now = Timestamp.now().nanoseconds
        return "diff-\(now)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
