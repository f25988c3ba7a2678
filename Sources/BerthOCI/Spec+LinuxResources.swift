extension Spec.Linux {
    /// cgroup resource limits of the container.
    public struct Resources: Codable, Equatable, Hashable, Sendable {
        /// Device access rules, applied in order.
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var network: Network?
        /// RDMA limits keyed by device name.
        public var rdma: [String: Rdma]?
        /// Raw cgroup v2 files to write, e.g. `"memory.high": "1G"`.
        public var unified: [String: String]?

        public init(
            devices: [DeviceRule]? = nil,
            memory: Memory? = nil,
            cpu: CPU? = nil,
            pids: Pids? = nil,
            blockIO: BlockIO? = nil,
            hugepageLimits: [HugepageLimit]? = nil,
            network: Network? = nil,
            rdma: [String: Rdma]? = nil,
            unified: [String: String]? = nil
        ) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.blockIO = blockIO
            self.hugepageLimits = hugepageLimits
            self.network = network
            self.rdma = rdma
            self.unified = unified
        }

        /// One device-controller rule (Go: `LinuxDeviceCgroup`).
        /// A missing `type`, `major` or `minor` matches all.
        public struct DeviceRule: Codable, Equatable, Hashable, Sendable {
            public var allow: Bool
            /// `a` (all), `c` or `b`.
            public var type: String?
            public var major: Int64?
            public var minor: Int64?
            /// Any combination of `r`, `w`, `m`.
            public var access: String?

            public init(
                allow: Bool,
                type: String? = nil,
                major: Int64? = nil,
                minor: Int64? = nil,
                access: String? = nil
            ) {
                self.allow = allow
                self.type = type
                self.major = major
                self.minor = minor
                self.access = access
            }
        }

        /// Memory controller limits, in bytes; -1 means unlimited.
        public struct Memory: Codable, Equatable, Hashable, Sendable {
            public var limit: Int64?
            /// Soft limit.
            public var reservation: Int64?
            /// Memory plus swap limit.
            public var swap: Int64?
            /// Kernel memory limit (cgroup v1, deprecated by the kernel).
            public var kernel: Int64?
            /// Kernel TCP buffer limit (cgroup v1).
            public var kernelTCP: Int64?
            /// 0...100.
            public var swappiness: UInt64?
            public var disableOOMKiller: Bool?
            public var useHierarchy: Bool?
            /// Reject an update that sets the limit below current usage.
            public var checkBeforeUpdate: Bool?

            public init(
                limit: Int64? = nil,
                reservation: Int64? = nil,
                swap: Int64? = nil,
                kernel: Int64? = nil,
                kernelTCP: Int64? = nil,
                swappiness: UInt64? = nil,
                disableOOMKiller: Bool? = nil,
                useHierarchy: Bool? = nil,
                checkBeforeUpdate: Bool? = nil
            ) {
                self.limit = limit
                self.reservation = reservation
                self.swap = swap
                self.kernel = kernel
                self.kernelTCP = kernelTCP
                self.swappiness = swappiness
                self.disableOOMKiller = disableOOMKiller
                self.useHierarchy = useHierarchy
                self.checkBeforeUpdate = checkBeforeUpdate
            }
        }

        /// CPU and cpuset controller settings; times are in microseconds.
        public struct CPU: Codable, Equatable, Hashable, Sendable {
            /// Relative weight (cgroup v1 `cpu.shares`).
            public var shares: UInt64?
            /// Allowed run time per `period`; -1 means unlimited.
            public var quota: Int64?
            /// Extra run time that may accumulate for bursts.
            public var burst: UInt64?
            public var period: UInt64?
            public var realtimeRuntime: Int64?
            public var realtimePeriod: UInt64?
            /// cpuset CPU list, e.g. `0-3,6`.
            public var cpus: String?
            /// cpuset memory node list.
            public var mems: String?
            /// 1 puts the cgroup in `SCHED_IDLE`.
            public var idle: Int64?

            public init(
                shares: UInt64? = nil,
                quota: Int64? = nil,
                burst: UInt64? = nil,
                period: UInt64? = nil,
                realtimeRuntime: Int64? = nil,
                realtimePeriod: UInt64? = nil,
                cpus: String? = nil,
                mems: String? = nil,
                idle: Int64? = nil
            ) {
                self.shares = shares
                self.quota = quota
                self.burst = burst
                self.period = period
                self.realtimeRuntime = realtimeRuntime
                self.realtimePeriod = realtimePeriod
                self.cpus = cpus
                self.mems = mems
                self.idle = idle
            }
        }

        /// pids controller limit.
        public struct Pids: Codable, Equatable, Hashable, Sendable {
            /// Maximum number of tasks; 0 or -1 means unlimited.
            public var limit: Int64

            public init(limit: Int64) {
                self.limit = limit
            }
        }

        /// Block I/O controller settings.
        public struct BlockIO: Codable, Equatable, Hashable, Sendable {
            /// Default weight, 10...1000.
            public var weight: UInt16?
            public var leafWeight: UInt16?
            public var weightDevice: [WeightDevice]?
            /// Read bytes per second, per device.
            public var throttleReadBpsDevice: [ThrottleDevice]?
            /// Write bytes per second, per device.
            public var throttleWriteBpsDevice: [ThrottleDevice]?
            /// Read operations per second, per device.
            public var throttleReadIOPSDevice: [ThrottleDevice]?
            /// Write operations per second, per device.
            public var throttleWriteIOPSDevice: [ThrottleDevice]?

            public init(
                weight: UInt16? = nil,
                leafWeight: UInt16? = nil,
                weightDevice: [WeightDevice]? = nil,
                throttleReadBpsDevice: [ThrottleDevice]? = nil,
                throttleWriteBpsDevice: [ThrottleDevice]? = nil,
                throttleReadIOPSDevice: [ThrottleDevice]? = nil,
                throttleWriteIOPSDevice: [ThrottleDevice]? = nil
            ) {
                self.weight = weight
                self.leafWeight = leafWeight
                self.weightDevice = weightDevice
                self.throttleReadBpsDevice = throttleReadBpsDevice
                self.throttleWriteBpsDevice = throttleWriteBpsDevice
                self.throttleReadIOPSDevice = throttleReadIOPSDevice
                self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
            }

            /// A per-device weight.
            public struct WeightDevice: Codable, Equatable, Hashable, Sendable {
                public var major: Int64
                public var minor: Int64
                public var weight: UInt16?
                public var leafWeight: UInt16?

                public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
                    self.major = major
                    self.minor = minor
                    self.weight = weight
                    self.leafWeight = leafWeight
                }
            }

            /// A per-device rate limit.
            public struct ThrottleDevice: Codable, Equatable, Hashable, Sendable {
                public var major: Int64
                public var minor: Int64
                public var rate: UInt64?

                public init(major: Int64, minor: Int64, rate: UInt64? = nil) {
                    self.major = major
                    self.minor = minor
                    self.rate = rate
                }
            }
        }

        /// hugetlb controller limit for one page size.
        public struct HugepageLimit: Codable, Equatable, Hashable, Sendable {
            /// Page size, e.g. `2MB`, `1GB`.
            public var pageSize: String
            /// Limit in bytes.
            public var limit: UInt64

            public init(pageSize: String, limit: UInt64) {
                self.pageSize = pageSize
                self.limit = limit
            }
        }

        /// net_cls / net_prio controller settings.
        public struct Network: Codable, Equatable, Hashable, Sendable {
            /// `net_cls.classid` tag for the container's packets.
            public var classID: UInt32?
            public var priorities: [InterfacePriority]?

            public init(classID: UInt32? = nil, priorities: [InterfacePriority]? = nil) {
                self.classID = classID
                self.priorities = priorities
            }

            /// Traffic priority on one interface.
            public struct InterfacePriority: Codable, Equatable, Hashable, Sendable {
                public var name: String
                public var priority: UInt32

                public init(name: String, priority: UInt32) {
                    self.name = name
                    self.priority = priority
                }
            }
        }

        /// RDMA controller limits for one device.
        public struct Rdma: Codable, Equatable, Hashable, Sendable {
            public var hcaHandles: UInt32?
            public var hcaObjects: UInt32?

            public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
                self.hcaHandles = hcaHandles
                self.hcaObjects = hcaObjects
            }
        }
    }
}
