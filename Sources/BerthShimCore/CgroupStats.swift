import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Builds containerd's cgroups metrics from the cgroup files, as
/// containerd's cgroups library does for `Stats`.
enum CgroupStats {
    /// The metrics as the `Any` `Stats` returns: `io.containerd.cgroups.v1.Metrics`
    /// or `io.containerd.cgroups.v2.Metrics`.
    static func metrics(_ location: CgroupLocation) throws(ShimError) -> Google_Protobuf_Any {
        do {
            switch location.version {
            case .v1: return try Google_Protobuf_Any(containerdPacking: v1(location))
            case .v2: return try Google_Protobuf_Any(containerdPacking: v2(location))
            }
        } catch {
            throw ShimError("stats", error)
        }
    }

    static func v1(_ location: CgroupLocation) -> Io_Containerd_Cgroups_V1_Metrics {
        var metrics = Io_Containerd_Cgroups_V1_Metrics()
        if let pids = location.directory("pids") {
            var stat = Io_Containerd_Cgroups_V1_PidsStat()
            stat.current = number(pids, "pids.current")
            stat.limit = number(pids, "pids.max")
            metrics.pids = stat
        }
        if let cpuacct = location.directory("cpuacct") {
            var usage = Io_Containerd_Cgroups_V1_CPUUsage()
            usage.total = number(cpuacct, "cpuacct.usage")
            usage.perCpu = text(cpuacct, "cpuacct.usage_percpu").split(separator: " ").compactMap {
                UInt64($0.trimmingWhitespace)
            }
            // cpuacct.stat is in USER_HZ (100 per second on Linux); containerd reports nanoseconds.
            let stat = keyed(cpuacct, "cpuacct.stat")
            usage.user = (stat["user"] ?? 0) * 10_000_000
            usage.kernel = (stat["system"] ?? 0) * 10_000_000
            metrics.cpu.usage = usage
        }
        if let cpu = location.directory("cpu") {
            let stat = keyed(cpu, "cpu.stat")
            var throttle = Io_Containerd_Cgroups_V1_Throttle()
            throttle.periods = stat["nr_periods"] ?? 0
            throttle.throttledPeriods = stat["nr_throttled"] ?? 0
            throttle.throttledTime = stat["throttled_time"] ?? 0
            metrics.cpu.throttling = throttle
        }
        if let memory = location.directory("memory") {
            metrics.memory = v1Memory(memory)
            let oom = keyed(memory, "memory.oom_control")
            var control = Io_Containerd_Cgroups_V1_MemoryOomControl()
            control.oomKillDisable = oom["oom_kill_disable"] ?? 0
            control.underOom = oom["under_oom"] ?? 0
            control.oomKill = oom["oom_kill"] ?? 0
            metrics.memoryOomControl = control
        }
        if let blkio = location.directory("blkio") {
            var stat = Io_Containerd_Cgroups_V1_BlkIOStat()
            stat.ioServiceBytesRecursive = blkioEntries(blkio, "blkio.throttle.io_service_bytes")
            stat.ioServicedRecursive = blkioEntries(blkio, "blkio.throttle.io_serviced")
            metrics.blkio = stat
        }
        return metrics
    }

    private static func v1Memory(_ directory: String) -> Io_Containerd_Cgroups_V1_MemoryStat {
        let stat = keyed(directory, "memory.stat")
        var memory = Io_Containerd_Cgroups_V1_MemoryStat()
        memory.cache = stat["cache"] ?? 0
        memory.rss = stat["rss"] ?? 0
        memory.rssHuge = stat["rss_huge"] ?? 0
        memory.mappedFile = stat["mapped_file"] ?? 0
        memory.dirty = stat["dirty"] ?? 0
        memory.writeback = stat["writeback"] ?? 0
        memory.pgPgIn = stat["pgpgin"] ?? 0
        memory.pgPgOut = stat["pgpgout"] ?? 0
        memory.pgFault = stat["pgfault"] ?? 0
        memory.pgMajFault = stat["pgmajfault"] ?? 0
        memory.inactiveAnon = stat["inactive_anon"] ?? 0
        memory.activeAnon = stat["active_anon"] ?? 0
        memory.inactiveFile = stat["inactive_file"] ?? 0
        memory.activeFile = stat["active_file"] ?? 0
        memory.unevictable = stat["unevictable"] ?? 0
        memory.hierarchicalMemoryLimit = stat["hierarchical_memory_limit"] ?? 0
        memory.hierarchicalSwapLimit = stat["hierarchical_memsw_limit"] ?? 0
        memory.totalCache = stat["total_cache"] ?? 0
        memory.totalRss = stat["total_rss"] ?? 0
        memory.totalRssHuge = stat["total_rss_huge"] ?? 0
        memory.totalMappedFile = stat["total_mapped_file"] ?? 0
        memory.totalDirty = stat["total_dirty"] ?? 0
        memory.totalWriteback = stat["total_writeback"] ?? 0
        memory.totalPgPgIn = stat["total_pgpgin"] ?? 0
        memory.totalPgPgOut = stat["total_pgpgout"] ?? 0
        memory.totalPgFault = stat["total_pgfault"] ?? 0
        memory.totalPgMajFault = stat["total_pgmajfault"] ?? 0
        memory.totalInactiveAnon = stat["total_inactive_anon"] ?? 0
        memory.totalActiveAnon = stat["total_active_anon"] ?? 0
        memory.totalInactiveFile = stat["total_inactive_file"] ?? 0
        memory.totalActiveFile = stat["total_active_file"] ?? 0
        memory.totalUnevictable = stat["total_unevictable"] ?? 0
        func entry(_ prefix: String) -> Io_Containerd_Cgroups_V1_MemoryEntry {
            var entry = Io_Containerd_Cgroups_V1_MemoryEntry()
            entry.usage = number(directory, prefix + ".usage_in_bytes")
            entry.limit = number(directory, prefix + ".limit_in_bytes")
            entry.max = number(directory, prefix + ".max_usage_in_bytes")
            entry.failcnt = number(directory, prefix + ".failcnt")
            return entry
        }
        memory.usage = entry("memory")
        memory.swap = entry("memory.memsw")
        memory.kernel = entry("memory.kmem")
        memory.kernelTcp = entry("memory.kmem.tcp")
        return memory
    }

    private static func blkioEntries(_ directory: String, _ file: String) -> [Io_Containerd_Cgroups_V1_BlkIOEntry] {
        text(directory, file).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let value = UInt64(fields[2]) else { return nil }
            let device = fields[0].split(separator: ":")
            var entry = Io_Containerd_Cgroups_V1_BlkIOEntry()
            entry.op = String(fields[1])
            entry.major = device.first.flatMap { UInt64($0) } ?? 0
            entry.minor = device.dropFirst().first.flatMap { UInt64($0) } ?? 0
            entry.value = value
            return entry
        }
    }

    /// The v2 metrics as containerd's cgroups v2 manager reads them: a
    /// limit of "max" is `UInt64.max` (v1's `pids.max` "max" is 0, as
    /// containerd's v1 reader has it), `memory_events` only when
    /// `memory.events` exists, `io` from `io.stat`.
    static func v2(_ location: CgroupLocation) -> Io_Containerd_Cgroups_V2_Metrics {
        var metrics = Io_Containerd_Cgroups_V2_Metrics()
        guard let directory = location.directory("") else { return metrics }
        metrics.pids.current = number(directory, "pids.current")
        metrics.pids.limit = limit(directory, "pids.max")
        let cpu = keyed(directory, "cpu.stat")
        metrics.cpu.usageUsec = cpu["usage_usec"] ?? 0
        metrics.cpu.userUsec = cpu["user_usec"] ?? 0
        metrics.cpu.systemUsec = cpu["system_usec"] ?? 0
        metrics.cpu.nrPeriods = cpu["nr_periods"] ?? 0
        metrics.cpu.nrThrottled = cpu["nr_throttled"] ?? 0
        metrics.cpu.throttledUsec = cpu["throttled_usec"] ?? 0
        metrics.memory = v2Memory(directory)
        let events = keyed(directory, "memory.events")
        if !events.isEmpty {
            metrics.memoryEvents.low = events["low"] ?? 0
            metrics.memoryEvents.high = events["high"] ?? 0
            metrics.memoryEvents.max = events["max"] ?? 0
            metrics.memoryEvents.oom = events["oom"] ?? 0
            metrics.memoryEvents.oomKill = events["oom_kill"] ?? 0
        }
        metrics.io.usage = ioEntries(directory)
        return metrics
    }

    private static func v2Memory(_ directory: String) -> Io_Containerd_Cgroups_V2_MemoryStat {
        let stat = keyed(directory, "memory.stat")
        var memory = Io_Containerd_Cgroups_V2_MemoryStat()
        memory.anon = stat["anon"] ?? 0
        memory.file = stat["file"] ?? 0
        memory.kernelStack = stat["kernel_stack"] ?? 0
        memory.slab = stat["slab"] ?? 0
        memory.sock = stat["sock"] ?? 0
        memory.shmem = stat["shmem"] ?? 0
        memory.fileMapped = stat["file_mapped"] ?? 0
        memory.fileDirty = stat["file_dirty"] ?? 0
        memory.fileWriteback = stat["file_writeback"] ?? 0
        memory.anonThp = stat["anon_thp"] ?? 0
        memory.inactiveAnon = stat["inactive_anon"] ?? 0
        memory.activeAnon = stat["active_anon"] ?? 0
        memory.inactiveFile = stat["inactive_file"] ?? 0
        memory.activeFile = stat["active_file"] ?? 0
        memory.unevictable = stat["unevictable"] ?? 0
        memory.slabReclaimable = stat["slab_reclaimable"] ?? 0
        memory.slabUnreclaimable = stat["slab_unreclaimable"] ?? 0
        memory.pgfault = stat["pgfault"] ?? 0
        memory.pgmajfault = stat["pgmajfault"] ?? 0
        memory.workingsetRefault = stat["workingset_refault"] ?? 0
        memory.workingsetActivate = stat["workingset_activate"] ?? 0
        memory.workingsetNodereclaim = stat["workingset_nodereclaim"] ?? 0
        memory.pgrefill = stat["pgrefill"] ?? 0
        memory.pgscan = stat["pgscan"] ?? 0
        memory.pgsteal = stat["pgsteal"] ?? 0
        memory.pgactivate = stat["pgactivate"] ?? 0
        memory.pgdeactivate = stat["pgdeactivate"] ?? 0
        memory.pglazyfree = stat["pglazyfree"] ?? 0
        memory.pglazyfreed = stat["pglazyfreed"] ?? 0
        memory.thpFaultAlloc = stat["thp_fault_alloc"] ?? 0
        memory.thpCollapseAlloc = stat["thp_collapse_alloc"] ?? 0
        memory.usage = number(directory, "memory.current")
        memory.usageLimit = limit(directory, "memory.max")
        memory.swapUsage = number(directory, "memory.swap.current")
        memory.swapLimit = limit(directory, "memory.swap.max")
        return memory
    }

    /// `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N wios=N …` per device.
    private static func ioEntries(_ directory: String) -> [Io_Containerd_Cgroups_V2_IOEntry] {
        text(directory, "io.stat").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard let device = fields.first else { return nil }
            let numbers = device.split(separator: ":")
            guard numbers.count == 2, let major = UInt64(numbers[0]), let minor = UInt64(numbers[1]) else {
                return nil
            }
            var entry = Io_Containerd_Cgroups_V2_IOEntry()
            entry.major = major
            entry.minor = minor
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                switch pair[0] {
                case "rbytes": entry.rbytes = value
                case "wbytes": entry.wbytes = value
                case "rios": entry.rios = value
                case "wios": entry.wios = value
                default: break
                }
            }
            return entry
        }
    }

    // MARK: file readers

    static func text(_ directory: String, _ file: String) -> String {
        FileSystem.readText(FileSystem.join(directory, file), limit: 256 << 10) ?? ""
    }

    /// A file holding one number; "max" (no limit) and absent files read as 0.
    static func number(_ directory: String, _ file: String) -> UInt64 {
        UInt64(text(directory, file).trimmingWhitespace) ?? 0
    }

    /// A v2 limit file: "max" (no limit) is `UInt64.max`, as containerd
    /// reports it; an absent file is 0.
    static func limit(_ directory: String, _ file: String) -> UInt64 {
        let value = text(directory, file).trimmingWhitespace
        return value == "max" ? UInt64.max : UInt64(value) ?? 0
    }

    /// A file of `key value` lines.
    static func keyed(_ directory: String, _ file: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text(directory, file).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { result[String(fields[0])] = value }
        }
        return result
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
