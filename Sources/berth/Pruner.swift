import BerthAPI
import BerthOCI
import BerthRegistry
import BerthShimProto
import Foundation
import GRPCCore

/// What `berth system prune` and `berth image prune` share: finding stopped
/// containers and unused images in one namespace, removing them, running a
/// synchronous garbage collection, and measuring what went.
struct Pruner {
    typealias Image = Containerd_Services_Images_V1_Image

    /// Snapshotters asked about, besides the containers' own.
    static let knownSnapshotters = ["overlayfs", "native"]

    let api: ContainerAPI

    var images: Containerd_Services_Images_V1_Images.Client<ContainerAPI.Transport> { .init(wrapping: api.grpc) }

    /// Containers that are not running: no task (created but never started,
    /// or whose task was deleted) or a stopped task. A task that is created
    /// but not yet started is left alone: some `berth run` may be about to
    /// start it.
    func stoppedContainers() async throws -> [ContainerAPI.Container] {
        let tasks = try await api.taskList()
        return try await api.list().filter { container in
            guard let task = tasks[container.id] else { return true }
            return task.status == .stopped
        }
    }

    /// Deletes the container's stopped task, record, snapshot and logs.
    /// A container that started running meanwhile is skipped (false).
    func remove(_ container: ContainerAPI.Container) async throws -> Bool {
        if let task = try await api.task(container.id) {
            guard task.status == .stopped else { return false }
            try await api.deleteTask(container.id)
        }
        do {
            try await api.removeContainer(container)
        } catch let error as RPCError where error.code == .notFound {
            return false
        }
        return true
    }

    /// A dangling image has no tag: its name is `repo@digest`, or is not an
    /// image reference at all.
    static func isDangling(_ name: String) -> Bool {
        guard let reference = try? ImageReference(parsing: name) else { return true }
        return reference.tag == nil
    }

    /// Images no remaining container uses (by name or by target digest);
    /// only dangling ones unless `all`.
    func unusedImages(all: Bool) async throws -> [Image] {
        let containers = try await api.list()
        let listed = try await images.list(
            Containerd_Services_Images_V1_ListImagesRequest(), metadata: api.metadata
        ).images
        let usedNames = Set(containers.map(\.image))
        let usedDigests = Set(listed.filter { usedNames.contains($0.name) }.map(\.target.digest))
        return listed.filter { image in
            !usedNames.contains(image.name) && !usedDigests.contains(image.target.digest)
                && (all || Self.isDangling(image.name))
        }
    }

    /// Deletes the image record; false if it was already gone.
    func remove(_ image: Image) async throws -> Bool {
        var request = Containerd_Services_Images_V1_DeleteImageRequest()
        request.name = image.name
        do {
            _ = try await images.delete(request, metadata: api.metadata)
            return true
        } catch let error as RPCError where error.code == .notFound {
            return false
        }
    }

    /// Runs a synchronous garbage collection: deleting a lease with `sync`
    /// collects before the call returns.
    func collect() async throws {
        var create = Containerd_Services_Leases_V1_CreateRequest()
        create.id = "berth-prune-\(UInt64(Date().timeIntervalSince1970 * 1e9))-\(UInt32.random(in: 0...UInt32.max))"
        let lease = try await api.leases.create(create, metadata: api.metadata).lease.id
        var delete = Containerd_Services_Leases_V1_DeleteRequest()
        delete.id = lease
        delete.sync = true
        _ = try await api.leases.delete(delete, metadata: api.metadata)
    }

    /// What the namespace holds: content sizes by digest, and snapshot sizes
    /// by `snapshotter/key` (measured only when `measureSnapshots`).
    struct Footprint {
        var content: [String: Int64] = [:]
        var snapshots: [String: Int64] = [:]

        /// The bytes in `self` that are no longer in `after`.
        func reclaimed(after: Footprint) -> Int64 {
            let content = self.content.filter { after.content[$0.key] == nil }.values.reduce(0, +)
            let snapshots = self.snapshots.filter { after.snapshots[$0.key] == nil }.values.reduce(0, +)
            return content + snapshots
        }
    }

    func footprint(measureSnapshots: Bool) async throws -> Footprint {
        var footprint = Footprint()
        let content = Containerd_Services_Content_V1_Content.Client(wrapping: api.grpc)
        footprint.content = try await content.list(
            Containerd_Services_Content_V1_ListContentRequest(), metadata: api.metadata
        ) { response in
            var sizes: [String: Int64] = [:]
            for try await batch in response.messages {
                for info in batch.info { sizes[info.digest] = info.size }
            }
            return sizes
        }
        let snapshotters = Set(Self.knownSnapshotters + (try await api.list()).map(\.snapshotter)).filter {
            !$0.isEmpty
        }
        for snapshotter in snapshotters.sorted() {
            var request = Containerd_Services_Snapshots_V1_ListSnapshotsRequest()
            request.snapshotter = snapshotter
            let keys: [String]
            do {
                keys = try await api.snapshots.list(request, metadata: api.metadata) { response in
                    var keys: [String] = []
                    for try await batch in response.messages { keys += batch.info.map(\.name) }
                    return keys
                }
            } catch is RPCError {
                continue  // a snapshotter this daemon does not serve
            }
            for key in keys {
                var size: Int64 = 0
                if measureSnapshots {
                    var usage = Containerd_Services_Snapshots_V1_UsageRequest()
                    usage.snapshotter = snapshotter
                    usage.key = key
                    size = (try? await api.snapshots.usage(usage, metadata: api.metadata).size) ?? 0
                }
                footprint.snapshots["\(snapshotter)/\(key)"] = size
            }
        }
        return footprint
    }

    /// Asks `question [y/N]` on stdout and reads the answer from stdin.
    static func confirm(_ question: String) -> Bool {
        FileHandle.standardOutput.write(Data("\(question) [y/N] ".utf8))
        let answer = readLine(strippingNewline: true)
        if isatty(STDIN_FILENO) == 0 {
            // The answer was not echoed: end the prompt's line.
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
        guard let answer else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
