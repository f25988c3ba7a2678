internal import BerthOCI

extension SpecOption {
    /// The smallest memory limit accepted, as Docker (6 MiB).
    public static let minimumMemory: Int64 = 6 << 20

    /// Sets the memory limit, the memory+swap limit and the soft limit.
    /// With a limit and no swap value, swap is twice the limit (Docker's rule:
    /// as much swap as memory); -1 swap is unlimited.
    public static func memory(limit: Int64?, swap: Int64?, reservation: Int64?) -> SpecOption {
        SpecOption("memory") { spec, _ throws(BundleError) in
            guard limit != nil || swap != nil || reservation != nil else { return }
            var memory = spec.resourcesOrDefault.memory ?? Spec.Linux.Resources.Memory()
            if let limit {
                guard limit >= minimumMemory else {
                    throw BundleError.invalid("memory limit \(limit) is below the minimum of 6MiB")
                }
                memory.limit = limit
            }
            if let swap {
                guard let limit else {
                    throw BundleError.invalid("--memory-swap needs --memory")
                }
                guard swap == -1 || swap >= limit else {
                    throw BundleError.invalid("memory+swap limit \(swap) must not be below the memory limit \(limit)")
                }
                memory.swap = swap
            } else if let limit {
                let (doubled, overflow) = limit.multipliedReportingOverflow(by: 2)
                memory.swap = overflow ? -1 : doubled
            }
            if let reservation {
                guard reservation >= 0, limit.map({ reservation <= $0 }) ?? true else {
                    throw BundleError.invalid(
                        "memory reservation \(reservation) must be between 0 and the memory limit")
                }
                memory.reservation = reservation
            }
            spec.resourcesOrDefault.memory = memory
        }
    }

    /// The CFS period `--cpus` uses, in microseconds.
    public static let defaultCPUPeriod: UInt64 = 100_000

    /// Sets CPU limits. `nanoCPUs` (`--cpus`) becomes a quota over the default
    /// 100 ms period and cannot be combined with `period`/`quota`.
    public static func cpu(
        nanoCPUs: Int64?,
        period: UInt64?,
        quota: Int64?,
        shares: UInt64?,
        cpus: String?,
        mems: String?
    ) -> SpecOption {
        SpecOption("cpu") { spec, _ throws(BundleError) in
            guard nanoCPUs != nil || period != nil || quota != nil || shares != nil || cpus != nil || mems != nil else {
                return
            }
            var cpu = spec.resourcesOrDefault.cpu ?? Spec.Linux.Resources.CPU()
            if let nanoCPUs {
                guard period == nil, quota == nil else {
                    throw BundleError.invalid("--cpus cannot be combined with --cpu-period or --cpu-quota")
                }
                guard nanoCPUs > 0 else { throw BundleError.invalid("--cpus must be above 0") }
                let quotaValue = nanoCPUs / 10_000  // ns of CPU per s → µs per 100 ms period
                guard quotaValue >= 1000 else { throw BundleError.invalid("--cpus must be at least 0.01") }
                cpu.period = defaultCPUPeriod
                cpu.quota = quotaValue
            }
            if let period {
                guard (1000...1_000_000).contains(period) else {
                    throw BundleError.invalid("CPU period \(period) is out of range (1000...1000000 µs)")
                }
                cpu.period = period
            }
            if let quota {
                guard quota == -1 || quota >= 1000 else {
                    throw BundleError.invalid("CPU quota \(quota) must be -1 or at least 1000 µs")
                }
                cpu.quota = quota
            }
            if let shares {
                guard shares >= 2 else { throw BundleError.invalid("CPU shares \(shares) must be at least 2") }
                cpu.shares = shares
            }
            if let cpus {
                try validateCPUList(cpus, what: "--cpuset-cpus")
                cpu.cpus = cpus
            }
            if let mems {
                try validateCPUList(mems, what: "--cpuset-mems")
                cpu.mems = mems
            }
            spec.resourcesOrDefault.cpu = cpu
        }
    }

    /// Sets the pids limit; 0 or less is unlimited (-1).
    public static func pidsLimit(_ limit: Int64) -> SpecOption {
        SpecOption("pids-limit") { spec, _ throws(BundleError) in
            spec.resourcesOrDefault.pids = Spec.Linux.Resources.Pids(limit: limit > 0 ? limit : -1)
        }
    }

    /// Adds host devices: the node is created in the container and allowed in
    /// the device cgroup with the requested permissions.
    public static func devices(_ requests: [DeviceRequest]) -> SpecOption {
        SpecOption("devices") { spec, context throws(BundleError) in
            for request in requests {
                guard !request.permissions.isEmpty, request.permissions.allSatisfy({ "rwm".contains($0) }) else {
                    throw BundleError.invalid("invalid device permissions \"\(request.permissions)\" (use r, w, m)")
                }
                guard request.containerPath.hasPrefix("/") else {
                    throw BundleError.invalid("device path \"\(request.containerPath)\" is not absolute")
                }
                var device = try context.host.device(atPath: request.hostPath)
                device.path = request.containerPath
                var devices = (spec.linux?.devices ?? []).filter { $0.path != device.path }
                devices.append(device)
                spec.linuxOrDefault.devices = devices
                let rule = Spec.Linux.Resources.DeviceRule(
                    allow: true,
                    type: device.type,
                    major: device.major,
                    minor: device.minor,
                    access: request.permissions
                )
                spec.resourcesOrDefault.devices = (spec.resourcesOrDefault.devices ?? []) + [rule]
            }
        }
    }

    /// Sets namespaced kernel parameters, refusing the ones that would change
    /// the host: IPC parameters need a private IPC namespace, `net.*` a
    /// private network namespace, `kernel.domainname` a private UTS namespace,
    /// and anything else is not namespaced at all. Apply after the namespace options.
    public static func sysctls(_ values: [String: String]) -> SpecOption {
        SpecOption("sysctl") { spec, _ throws(BundleError) in
            guard !values.isEmpty else { return }
            var sysctl = spec.linux?.sysctl ?? [:]
            for (key, value) in values {
                try validateSysctl(key, in: spec)
                sysctl[key] = value
            }
            spec.linuxOrDefault.sysctl = sysctl
        }
    }

    static let ipcSysctls: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
        "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    static func validateSysctl(_ key: String, in spec: Spec) throws(BundleError) {
        func requirePrivate(_ type: Spec.Linux.NamespaceType, _ flag: String) throws(BundleError) {
            guard let namespace = spec.namespace(type), namespace.path == nil else {
                throw BundleError.invalid("sysctl \(key) is not allowed with \(flag) (it would change the host)")
            }
        }
        if ipcSysctls.contains(key) || key.hasPrefix("fs.mqueue.") {
            try requirePrivate(.ipc, "--ipc host or a joined IPC namespace")
        } else if key.hasPrefix("net.") {
            try requirePrivate(.network, "--net host or a joined network namespace")
        } else if key == "kernel.domainname" {
            try requirePrivate(.uts, "--uts host or a joined UTS namespace")
        } else {
            throw BundleError.invalid("sysctl \(key) is not namespaced; it cannot be set per container")
        }
    }

    /// Checks a cpuset list such as `0-3,6`.
    static func validateCPUList(_ list: String, what: String) throws(BundleError) {
        let valid =
            !list.isEmpty
            && list.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { item in
                let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let low = UInt(bounds[0]) else { return false }
                guard bounds.count == 2 else { return true }
                guard let high = UInt(bounds[1]) else { return false }
                return low <= high
            }
        guard valid else {
            throw BundleError.invalid("invalid \(what) value \"\(list)\" (want a list such as 0-3,6)")
        }
    }
}
