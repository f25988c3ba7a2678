extension Spec {
    /// z/OS-specific configuration.
    public struct ZOS: Codable, Equatable, Hashable, Sendable {
        /// Device nodes created in the container.
        public var devices: [Device]?

        public init(devices: [Device]? = nil) {
            self.devices = devices
        }

        /// A z/OS special device file.
        public struct Device: Codable, Equatable, Hashable, Sendable {
            /// Absolute path of the node inside the container.
            public var path: String
            /// `c`, `b`, `u` or `p`.
            public var type: String
            public var major: Int64
            public var minor: Int64
            /// Permission bits of the node.
            public var fileMode: UInt32?
            public var uid: UInt32?
            public var gid: UInt32?

            public init(
                path: String,
                type: String,
                major: Int64,
                minor: Int64,
                fileMode: UInt32? = nil,
                uid: UInt32? = nil,
                gid: UInt32? = nil
            ) {
                self.path = path
                self.type = type
                self.major = major
                self.minor = minor
                self.fileMode = fileMode
                self.uid = uid
                self.gid = gid
            }
        }
    }
}
