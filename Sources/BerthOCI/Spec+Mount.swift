extension Spec {
    /// A filesystem mounted into the container, on top of `root`.
    public struct Mount: Codable, Equatable, Hashable, Sendable {
        /// Absolute path of the mount point inside the container.
        public var destination: String
        /// Filesystem type as passed to `mount(2)`, e.g. `proc`, `tmpfs`, `bind`.
        public var type: String?
        /// Device, directory or pseudo-filesystem name to mount.
        public var source: String?
        /// fstab-style options, e.g. `nosuid`, `rbind`, `mode=755`.
        public var options: [String]?
        /// User id mapping for an id-mapped mount.
        public var uidMappings: [Linux.IDMapping]?
        /// Group id mapping for an id-mapped mount.
        public var gidMappings: [Linux.IDMapping]?

        public init(
            destination: String,
            type: String? = nil,
            source: String? = nil,
            options: [String]? = nil,
            uidMappings: [Linux.IDMapping]? = nil,
            gidMappings: [Linux.IDMapping]? = nil
        ) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
            self.uidMappings = uidMappings
            self.gidMappings = gidMappings
        }
    }
}
