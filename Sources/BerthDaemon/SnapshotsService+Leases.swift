import BerthMetadata
import GRPCCore

extension SnapshotsService {
    /// Runs `body` (which creates the snapshot `key`) with `key` attached to
    /// the call's lease as a `snapshots/<snapshotter>` resource, as
    /// containerd does for Prepare, View and Commit under a lease.
    ///
    /// The resource is attached first, so a collection running meanwhile
    /// cannot take the new snapshot, and detached again if `body` fails
    /// (unless it was attached before). Without a lease header `body` just
    /// runs.
    ///
    /// - Throws: NotFound "lease does not exist" for an unknown lease (before
    ///   `body` runs); what `body` throws.
    func leased<T>(
        _ metadata: Metadata, namespace: String, snapshotter: String, key: String, _ body: () throws -> T
    ) throws -> T {
        guard let lease = metadata.lease else { return try body() }
        let resource = LeaseResource(id: key, type: LeaseResource.snapshotType(snapshotter))
        let attached = try leases.database.transaction { connection in
            let held = try connection.leaseResources(namespace: namespace, lease: lease).contains(resource)
            try connection.addLeaseResource(namespace: namespace, lease: lease, resource)
            return !held
        }
        do {
            return try body()
        } catch {
            if attached {
                try? leases.database.transaction {
                    try $0.deleteLeaseResource(namespace: namespace, lease: lease, resource)
                }
            }
            throw error
        }
    }

    /// Detaches `key` from the call's lease (after Commit or Remove made it
    /// go away); nothing without a lease header.
    func unlease(_ metadata: Metadata, namespace: String, snapshotter: String, key: String) throws {
        guard let lease = metadata.lease else { return }
        let resource = LeaseResource(id: key, type: LeaseResource.snapshotType(snapshotter))
        try leases.database.transaction {
            try $0.deleteLeaseResource(namespace: namespace, lease: lease, resource)
        }
    }
}
