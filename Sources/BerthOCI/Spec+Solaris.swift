extension Spec {
    /// Solaris-specific configuration (zones).
    public struct Solaris: Codable, Equatable, Hashable, Sendable {
        /// SMF FMRI that must be online before the process starts.
        public var milestone: String?
        /// Upper bound of the privileges any process may gain.
        public var limitpriv: String?
        /// Maximum shared memory, e.g. `512m`.
        public var maxShmMemory: String?
        /// Virtual NICs created automatically for the container.
        public var anet: [Anet]?
        public var cappedCPU: CappedCPU?
        public var cappedMemory: CappedMemory?

        public init(
            milestone: String? = nil,
            limitpriv: String? = nil,
            maxShmMemory: String? = nil,
            anet: [Anet]? = nil,
            cappedCPU: CappedCPU? = nil,
            cappedMemory: CappedMemory? = nil
        ) {
            self.milestone = milestone
            self.limitpriv = limitpriv
            self.maxShmMemory = maxShmMemory
            self.anet = anet
            self.cappedCPU = cappedCPU
            self.cappedMemory = cappedMemory
        }

        /// CPU cap.
        public struct CappedCPU: Codable, Equatable, Hashable, Sendable {
            /// Number of CPUs, may be fractional, e.g. `1.5`.
            public var ncpus: String?

            public init(ncpus: String? = nil) {
                self.ncpus = ncpus
            }
        }

        /// Physical and swap memory caps, e.g. `2g`.
        public struct CappedMemory: Codable, Equatable, Hashable, Sendable {
            public var physical: String?
            public var swap: String?

            public init(physical: String? = nil, swap: String? = nil) {
                self.physical = physical
                self.swap = swap
            }
        }

        /// An automatically created VNIC.
        public struct Anet: Codable, Equatable, Hashable, Sendable {
            /// Name of the VNIC datalink.
            public var linkname: String?
            /// Link the VNIC is created over.
            public var lowerLink: String?
            /// Addresses the container may use.
            public var allowedAddress: String?
            /// Whether `allowedAddress` is enforced (`true`/`false`).
            public var configureAllowedAddress: String?
            /// Default router.
            public var defrouter: String?
            /// Link protection types, e.g. `mac-nospoof`.
            public var linkProtection: String?
            public var macAddress: String?

            public init(
                linkname: String? = nil,
                lowerLink: String? = nil,
                allowedAddress: String? = nil,
                configureAllowedAddress: String? = nil,
                defrouter: String? = nil,
                linkProtection: String? = nil,
                macAddress: String? = nil
            ) {
                self.linkname = linkname
                self.lowerLink = lowerLink
                self.allowedAddress = allowedAddress
                self.configureAllowedAddress = configureAllowedAddress
                self.defrouter = defrouter
                self.linkProtection = linkProtection
                self.macAddress = macAddress
            }
        }
    }
}
