import BerthAPI
import BerthBundle
import BerthErrors
import BerthOCI
import BerthShimProto
import BerthSnapshots
import Foundation
import GRPCCore
import Logging
import SwiftProtobuf

/// What `berth create` and `berth run` ask for.
struct ContainerRequest {
    var id: String
    var image: String
    /// `--runtime` as typed (nil: runc through io.containerd.runc.v2).
    var runtime: String?
    var flags: RunFlags
    var labels: [String: String] = [:]
    var snapshotter: String
    /// The root of the log directories (`<root>/<namespace>/<id>/`).
    var logRoot: String
}

extension ContainerAPI {
    /// `--runtime NAME` as containerd's runtime name and options: the
    /// executors `runc`, `crun` and `runsc` run under `io.containerd.runc.v2`
    /// with `containerd.runc.v1.Options{binary_name}` (what `ctr --runc-binary`
    /// sends); any other name is passed through.
    static func runtime(_ name: String?) throws -> Container.Runtime {
        var runtime = Container.Runtime()
        runtime.name = "io.containerd.runc.v2"
        switch name {
        case nil, "io.containerd.runc.v2"?:
            break
        case let executor? where ["runc", "crun", "runsc"].contains(executor):
            var options = Containerd_Runc_V1_Options()
            options.binaryName = executor
            runtime.options = try Google_Protobuf_Any(containerdPacking: options)
        case let other?:
            runtime.name = other
        }
        return runtime
    }

    /// Creates the container as ctr does: under a lease, prepares snapshot
    /// `id` on the image's top layer, generates the spec from the image
    /// config and the flags (reading users and groups from the snapshot,
    /// mounted read-only here) and stores the container. On failure the
    /// snapshot is removed again.
    ///
    /// - Parameter snapshotPrepared: called once the snapshot is prepared
    ///   (`berth bench` times the phases).
    func create(
        _ request: ContainerRequest, logger: Logger, snapshotPrepared: @Sendable () -> Void = {}
    ) async throws -> Container {
        let queries = ImageQueries(grpc: grpc, metadata: metadata)
        let record = try await queries.get(request.image)
        let details = await queries.details(record)
        guard let config = details.config else {
            throw CLIError.local("image \(request.image): its manifest or config is not in the content store")
        }
        let runtime = try Self.runtime(request.runtime)
        let logDirectory = request.logRoot + "/" + namespace + "/" + request.id

        let leaseID = "berth-create-\(request.id)-\(UInt64(Date().timeIntervalSince1970 * 1e9))"
        var lease = Containerd_Services_Leases_V1_CreateRequest()
        lease.id = leaseID
        lease.labels["containerd.io/gc.expire"] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86400))
        let leased = try await leases.create(lease, metadata: metadata).lease.id
        var leaseMetadata = metadata
        leaseMetadata.addString(leased, forKey: Self.leaseKey)
        let outcome: Result<Container, any Error>
        do {
            outcome = .success(
                try await create(
                    request, config: config, image: record.name, runtime: runtime, logDirectory: logDirectory,
                    leaseMetadata: leaseMetadata, logger: logger, snapshotPrepared: snapshotPrepared))
        } catch {
            outcome = .failure(error)
        }
        var delete = Containerd_Services_Leases_V1_DeleteRequest()
        delete.id = leased
        _ = try? await leases.delete(delete, metadata: metadata)
        return try outcome.get()
    }

    /// The part of ``create(_:logger:)`` under the lease.
    private func create(
        _ request: ContainerRequest, config: ImageConfig, image: String, runtime: Container.Runtime,
        logDirectory: String, leaseMetadata: Metadata, logger: Logger, snapshotPrepared: @Sendable () -> Void
    ) async throws -> Container {
        var prepare = Containerd_Services_Snapshots_V1_PrepareSnapshotRequest()
        prepare.snapshotter = request.snapshotter
        prepare.key = request.id
        prepare.parent = config.rootfs.chainID?.string ?? ""
        let mounts: [Containerd_Types_Mount]
        do {
            mounts = try await snapshots.prepare(prepare, metadata: leaseMetadata).mounts
        } catch let error as RPCError where error.code == .alreadyExists {
            throw CLIError(
                description: "the container name \"\(request.id)\" is already in use (snapshot exists)", exitCode: 125)
        }
        snapshotPrepared()
        do {
            var container = Container()
            container.id = request.id
            container.image = image
            container.runtime = runtime
            container.snapshotter = request.snapshotter
            container.snapshotKey = request.id
            container.labels = request.labels
            container.labels[Self.stopSignalLabel] = config.config?.stopSignal ?? "SIGTERM"
            container.labels[Self.logDirectoryLabel] = logDirectory
            container.spec.typeURL = Self.specTypeURL
            container.spec.value = Data(try generateSpec(request, config: config, mounts: mounts, logger: logger))
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            var create = Containerd_Services_Containers_V1_CreateContainerRequest()
            create.container = container
            return try await containers.create(create, metadata: leaseMetadata).container
        } catch {
            var remove = Containerd_Services_Snapshots_V1_RemoveSnapshotRequest()
            remove.snapshotter = request.snapshotter
            remove.key = request.id
            _ = try? await snapshots.remove(remove, metadata: metadata)
            throw error
        }
    }

    /// The spec's JSON: the generator over the image config and flags, with
    /// the snapshot mounted read-only so users and groups resolve inside it.
    private func generateSpec(
        _ request: ContainerRequest, config: ImageConfig, mounts: [Containerd_Types_Mount], logger: Logger
    ) throws -> [UInt8] {
        do {
            return try generateSpecBytes(request, config: config, mounts: mounts, logger: logger)
        } catch let error as any BerthError {
            // A local failure (a flag value, the rootfs mount), not berthd's.
            throw CLIError(description: error.message, exitCode: CLIError.daemonExitCode)
        }
    }

    private func generateSpecBytes(
        _ request: ContainerRequest, config: ImageConfig, mounts: [Containerd_Types_Mount], logger: Logger
    ) throws -> [UInt8] {
        let environment = ProcessInfo.processInfo.environment
        var options = try request.flags.specOptions(containerID: request.id) { environment[$0] }
        if options.cgroupsPath == nil, options.cgroupParent == nil {
            options.cgroupsPath = "/\(namespace)/\(request.id)"
        }
        let generator = try BundleGenerator.live()
        let snapshotMounts = mounts.map {
            BerthSnapshots.Mount(type: $0.type, source: $0.source, target: $0.target, options: $0.options)
        }
        let scratch = FileManager.default.temporaryDirectory.path + "/berth-mounts"
        var spec = try snapshotMounts.withTemporaryMount(readOnly: true, under: scratch) { rootfs in
            try generator.generate(image: config, rootfs: rootfs, options: options, logger: logger)
        }
        spec.root = Spec.Root(path: "rootfs", readonly: spec.root?.readonly)
        let volumesRoot = options.volumesRoot ?? generator.defaults.container.volumesRoot
        _ = try BundleWriter.createVolumeDirectories(for: spec, volumesRoot: volumesRoot)
        return try BundleWriter.encode(spec)
    }
}
