import BerthAPI
import BerthArchive
import BerthErrors
import BerthContent
import BerthOCI
import BerthShimProto
import BerthSnapshots
import BerthUnpack
import GRPCCore
import Logging
import NIOPosix
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#endif

/// `containerd.services.diff.v1.Diff`: Apply reads a layer blob from the
/// content store (in the caller's namespace) and applies it to the mounts
/// without mounting them (one overlay mount: into its upperdir; one
/// read-write bind: into its source). Diff (in `DiffService+Diff.swift`)
/// mounts both sides read-only below `temporaryMounts` and writes the layer
/// between them into the content store.
public struct DiffService: Containerd_Services_Diff_V1_Diff.ServiceProtocol {
    let content: ContentStore
    /// Where Diff makes its temporary mount points.
    let temporaryMounts: String
    let logger: Logger

    /// The media type of what Apply reports: the uncompressed layer.
    static let appliedMediaType = "application/vnd.oci.image.layer.v1.tar"

    /// A service applying blobs from `content` and writing diffs into it,
    /// mounting below `temporaryMounts`.
    public init(content: ContentStore, temporaryMounts: String, logger: Logger) {
        self.content = content
        self.temporaryMounts = temporaryMounts
        self.logger = logger
    }

    /// Unmounts and removes what a previous daemon left below
    /// `temporaryMounts` (a crash during Diff); failures are logged.
    public func removeStaleMounts() {
        let stale: [String]
        do {
            let directory = try FileDescriptor.openDirectory(path: temporaryMounts)
            stale = try FileTree.names(in: directory.raw).map(\.displayName)
        } catch {
            return
        }
        for name in stale {
            let path = temporaryMounts + "/" + name
            do {
                try BerthSnapshots.Mount.unmountAll(path, detach: true)
            } catch {
                logger.warning("cannot unmount stale diff mount", metadata: ["path": "\(path)", "error": "\(error)"])
                continue
            }
            // rmdir, never a recursive removal: a mount point left behind
            // is empty once unmounted.
            if rmdir(path) != 0 {
                logger.warning(
                    "cannot remove stale diff mount point",
                    metadata: ["path": "\(path)", "error": "\(String(cString: strerror(errno)))"])
            }
        }
    }

    public func apply(
        request: ServerRequest<Containerd_Services_Diff_V1_ApplyRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Diff_V1_ApplyResponse> {
        try await rpc {
            let namespace = try request.metadata.requiredNamespace()
            let descriptor: Descriptor
            do {
                descriptor = try request.message.diff.oci()
            } catch {
                throw DaemonError.invalidArgument("diff descriptor: \(error)")
            }
            let mounts = request.message.mounts.map(\.snapshotMount)
            guard let target = DiffTarget(mounts: mounts) else {
                throw DaemonError(
                    .notImplemented, "applying to \(mounts.map(\.type)) mounts is not supported (one overlay or bind)")
            }
            let path = try content.path(for: descriptor.digest, namespace: namespace)
            // Decompressing and writing a layer blocks: keep it off the
            // concurrency pool (two threads on a two-core host).
            let logger = self.logger
            let applied = try await NIOThreadPool.singleton.runIfActive {
                let layer = UnpackLayer(descriptor: descriptor, diffID: descriptor.digest, path: path)
                let source = try layer.open()
                defer { source.close() }
                let applier = try LayerApplier(target: target, layer: descriptor.digest, logger: logger)
                let applied = try applier.apply(source: source, diffID: nil)
                try applier.finalize(lowerDirectories: target.lowerDirectories)
                return applied
            }
            var response = Containerd_Services_Diff_V1_ApplyResponse()
            response.applied.mediaType = Self.appliedMediaType
            response.applied.digest = applied.diffID.string
            response.applied.size = applied.size
            return ServerResponse(message: response)
        }
    }
}
