extension Spec {
    /// Windows-specific configuration, including Hyper-V isolation.
    public struct Windows: Codable, Equatable, Hashable, Sendable {
        /// Image layer directories; at least one, the last being the scratch layer.
        public var layerFolders: [String]
        /// Host devices mapped into the container.
        public var devices: [Device]?
        public var resources: Resources?
        /// Group Managed Service Account credential spec, an arbitrary JSON object.
        public var credentialSpec: [String: Spec.JSONValue]?
        /// Start the container to apply a Windows Update servicing operation.
        public var servicing: Bool?
        /// Don't flush disk writes while the container boots.
        public var ignoreFlushesDuringBoot: Bool?
        /// Present to run the container with Hyper-V isolation.
        public var hyperv: HyperV?
        public var network: Network?

        public init(
            layerFolders: [String],
            devices: [Device]? = nil,
            resources: Resources? = nil,
            credentialSpec: [String: Spec.JSONValue]? = nil,
            servicing: Bool? = nil,
            ignoreFlushesDuringBoot: Bool? = nil,
            hyperv: HyperV? = nil,
            network: Network? = nil
        ) {
            self.layerFolders = layerFolders
            self.devices = devices
            self.resources = resources
            self.credentialSpec = credentialSpec
            self.servicing = servicing
            self.ignoreFlushesDuringBoot = ignoreFlushesDuringBoot
            self.hyperv = hyperv
            self.network = network
        }

        /// A host device mapped into the container.
        public struct Device: Codable, Equatable, Hashable, Sendable {
            /// The identifier, e.g. an interface class GUID.
            public var id: String
            /// What `id` is; the spec defines `class`.
            public var idType: String

            public init(id: String, idType: String) {
                self.id = id
                self.idType = idType
            }
        }

        /// Resource limits of a Windows container.
        public struct Resources: Codable, Equatable, Hashable, Sendable {
            public var memory: Memory?
            public var cpu: CPU?
            public var storage: Storage?

            public init(memory: Memory? = nil, cpu: CPU? = nil, storage: Storage? = nil) {
                self.memory = memory
                self.cpu = cpu
                self.storage = storage
            }

            /// Memory limit.
            public struct Memory: Codable, Equatable, Hashable, Sendable {
                /// Limit in bytes.
                public var limit: UInt64?

                public init(limit: UInt64? = nil) {
                    self.limit = limit
                }
            }

            /// CPU limits; `count`, `shares` and `maximum` are alternatives.
            public struct CPU: Codable, Equatable, Hashable, Sendable {
                /// Number of host processors available to the container.
                public var count: UInt64?
                /// Relative weight, 0...10000.
                public var shares: UInt16?
                /// Cycles per 10,000 the container may use (percent × 100).
                public var maximum: UInt16?

                public init(count: UInt64? = nil, shares: UInt16? = nil, maximum: UInt16? = nil) {
                    self.count = count
                    self.shares = shares
                    self.maximum = maximum
                }
            }

            /// Limits on the system drive.
            public struct Storage: Codable, Equatable, Hashable, Sendable {
                public var iops: UInt64?
                /// Bytes per second.
                public var bps: UInt64?
                /// Minimum size of the system drive in bytes.
                public var sandboxSize: UInt64?

                public init(iops: UInt64? = nil, bps: UInt64? = nil, sandboxSize: UInt64? = nil) {
                    self.iops = iops
                    self.bps = bps
                    self.sandboxSize = sandboxSize
                }
            }
        }

        /// Network settings of a Windows container.
        public struct Network: Codable, Equatable, Hashable, Sendable {
            /// HNS endpoint ids to attach.
            public var endpointList: [String]?
            public var allowUnqualifiedDNSQuery: Bool?
            /// DNS suffixes for name resolution (JSON key `DNSSearchList`).
            public var dnsSearchList: [String]?
            /// Name of a container whose network stack is shared.
            public var networkSharedContainerName: String?
            /// HNS network namespace id to use.
            public var networkNamespace: String?

            enum CodingKeys: String, CodingKey {
                case endpointList
                case allowUnqualifiedDNSQuery
                case dnsSearchList = "DNSSearchList"
                case networkSharedContainerName
                case networkNamespace
            }

            public init(
                endpointList: [String]? = nil,
                allowUnqualifiedDNSQuery: Bool? = nil,
                dnsSearchList: [String]? = nil,
                networkSharedContainerName: String? = nil,
                networkNamespace: String? = nil
            ) {
                self.endpointList = endpointList
                self.allowUnqualifiedDNSQuery = allowUnqualifiedDNSQuery
                self.dnsSearchList = dnsSearchList
                self.networkSharedContainerName = networkSharedContainerName
                self.networkNamespace = networkNamespace
            }
        }

        /// Hyper-V isolation settings.
        public struct HyperV: Codable, Equatable, Hashable, Sendable {
            /// Path to the utility VM image; the runtime picks one when `nil`.
            public var utilityVMPath: String?

            public init(utilityVMPath: String? = nil) {
                self.utilityVMPath = utilityVMPath
            }
        }
    }
}
