import BerthAPI
import BerthShimProto
import BerthTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

/// Snapshots made under a `containerd-lease` header (ctr has no flag for
/// it, so Prepare/Commit go through a gRPC client) are held by the lease:
/// a collection keeps them while it exists and takes them once it is gone.
@Suite(.enabled(if: DaemonHarness.unavailableReason == nil, "berthd or ctr unavailable"), .serialized)
struct DaemonSnapshotLeaseTests {
    typealias Snapshots = Containerd_Services_Snapshots_V1_Snapshots

    @Test func leasedSnapshotSurvivesCollectionUntilTheLeaseGoes() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let ns = "leased"
        #expect(try daemon.ctr(["leases", "create", "--id", "hold", "--expires", "0"], namespace: ns).status == 0)

        try await Self.withClient(daemon) { client in
            let snapshots = Snapshots.Client(wrapping: client)
            var prepare = Containerd_Services_Snapshots_V1_PrepareSnapshotRequest()
            prepare.snapshotter = "overlayfs"
            prepare.key = "work"
            _ = try await snapshots.prepare(prepare, metadata: Self.metadata(ns, lease: "hold"))
            var commit = Containerd_Services_Snapshots_V1_CommitSnapshotRequest()
            commit.snapshotter = "overlayfs"
            commit.key = "work"
            commit.name = "kept"
            _ = try await snapshots.commit(commit, metadata: Self.metadata(ns, lease: "hold"))

            // The committed name replaces the active key in the lease.
            var list = Containerd_Services_Leases_V1_ListResourcesRequest()
            list.id = "hold"
            let resources = try await Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
                .listResources(list, metadata: Self.metadata(ns, lease: nil)).resources
            #expect(resources.map { "\($0.type) \($0.id)" } == ["snapshots/overlayfs kept"])

            // An unknown lease is NotFound, and nothing is created.
            prepare.key = "orphan"
            await #expect {
                _ = try await snapshots.prepare(prepare, metadata: Self.metadata(ns, lease: "no-such-lease"))
            } throws: { error in
                guard let rpc = error as? RPCError else { return false }
                return rpc.code == .notFound && rpc.message.contains("lease does not exist")
            }
        }
        #expect(try daemon.ctr(["snapshots", "info", "orphan"], namespace: ns).status != 0)

        // A collection (triggered by a sync delete of another lease) keeps it.
        #expect(try daemon.ctr(["leases", "create", "--id", "trigger"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["leases", "rm", "--sync", "trigger"], namespace: ns).status == 0)
        let info = try daemon.ctr(["snapshots", "info", "kept"], namespace: ns)
        #expect(info.status == 0, "\(info.stderr)\n\(daemon.log())")

        // Deleting the lease with sync collects it.
        #expect(try daemon.ctr(["leases", "rm", "--sync", "hold"], namespace: ns).status == 0)
        let gone = try daemon.ctr(["snapshots", "info", "kept"], namespace: ns)
        #expect(gone.status != 0 && gone.stderr.contains("not found"), "\(gone.stdout)\(gone.stderr)")
    }

    @Test func viewUnderALeaseIsHeldAndRemoveReleasesIt() async throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        defer { daemon.cleanup() }
        let ns = "leased-view"
        #expect(try daemon.ctr(["snapshots", "prepare", "base"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["snapshots", "commit", "base-c", "base"], namespace: ns).status == 0)
        #expect(try daemon.ctr(["leases", "create", "--id", "v"], namespace: ns).status == 0)
        try await Self.withClient(daemon) { client in
            let snapshots = Snapshots.Client(wrapping: client)
            var view = Containerd_Services_Snapshots_V1_ViewSnapshotRequest()
            view.snapshotter = "overlayfs"
            view.key = "look"
            view.parent = "base-c"
            _ = try await snapshots.view(view, metadata: Self.metadata(ns, lease: "v"))
            let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: client)
            var list = Containerd_Services_Leases_V1_ListResourcesRequest()
            list.id = "v"
            #expect(
                try await leases.listResources(list, metadata: Self.metadata(ns, lease: nil)).resources.map(\.id)
                    == ["look"])
            var remove = Containerd_Services_Snapshots_V1_RemoveSnapshotRequest()
            remove.snapshotter = "overlayfs"
            remove.key = "look"
            _ = try await snapshots.remove(remove, metadata: Self.metadata(ns, lease: "v"))
            #expect(try await leases.listResources(list, metadata: Self.metadata(ns, lease: nil)).resources.isEmpty)
        }
    }

    static func metadata(_ namespace: String, lease: String?) -> Metadata {
        var metadata = Metadata()
        metadata.addString(namespace, forKey: "containerd-namespace")
        if let lease { metadata.addString(lease, forKey: "containerd-lease") }
        return metadata
    }

    static func withClient<T: Sendable>(
        _ daemon: DaemonHarness, _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
    ) async throws -> T {
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: daemon.address), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { try await body($0) }
    }
}
