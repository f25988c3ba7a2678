import BerthShimProto
@testable import BerthShimCore
import BerthSystem
import BerthTestSupport
import Foundation
import Logging
import SwiftProtobuf
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cgroup v2 stats reader and OOM watch against a fake cgroup directory
/// (a temporary directory of files): this host is hybrid, with v1
/// controllers, so a real v2 run cannot happen here.
@Suite struct CgroupV2Tests {
    /// Writes `text` into `directory/file` in place (truncate and write, as
    /// the kernel updates a cgroup file: same inode, an IN_MODIFY).
    static func write(_ text: String, _ directory: String, _ file: String) throws {
        let fd = open(directory + "/" + file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("open \(file): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            throw HarnessError("write \(file): errno \(errno)")
        }
    }

    static func v2(_ directory: String) -> CgroupLocation {
        CgroupLocation(version: .v2, directories: ["": directory])
    }

    @Test func statsAreReadAsContainerdsV2ManagerReadsThem() throws {
        let cgroup = try TemporaryDirectory(prefix: "cgv2")
        defer { cgroup.remove() }
        let files = [
            "pids.current": "3\n",
            "pids.max": "42\n",
            "cpu.stat":
                "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30\n",
            "memory.stat":
                "anon 4096\nfile 8192\nkernel_stack 16384\nslab 100\nsock 0\nshmem 12\nfile_mapped 5\nanon_thp 2048\n"
                + "slab_reclaimable 60\nslab_unreclaimable 40\npgfault 77\npgmajfault 1\nworkingset_refault 3\n"
                + "thp_fault_alloc 9\n",
            "memory.current": "123456\n",
            "memory.max": "33554432\n",
            "memory.swap.current": "0\n",
            "memory.swap.max": "max\n",
            "memory.events": "low 0\nhigh 4\nmax 5\noom 1\noom_kill 1\n",
            "io.stat":
                "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=10 wbytes=0 rios=1 wios=0\n",
        ]
        for (file, text) in files { try Self.write(text, cgroup.path, file) }

        let packed = try CgroupStats.metrics(Self.v2(cgroup.path))
        #expect(packed.typeURL == "io.containerd.cgroups.v2.Metrics")
        let metrics = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: packed.value)
        #expect(metrics.pids.current == 3)
        #expect(metrics.pids.limit == 42)
        #expect(metrics.cpu.usageUsec == 1500)
        #expect(metrics.cpu.userUsec == 1000)
        #expect(metrics.cpu.systemUsec == 500)
        #expect(metrics.cpu.nrPeriods == 7)
        #expect(metrics.cpu.nrThrottled == 2)
        #expect(metrics.cpu.throttledUsec == 30)
        #expect(metrics.memory.anon == 4096)
        #expect(metrics.memory.file == 8192)
        #expect(metrics.memory.kernelStack == 16384)
        #expect(metrics.memory.shmem == 12)
        #expect(metrics.memory.anonThp == 2048)
        #expect(metrics.memory.slabReclaimable == 60)
        #expect(metrics.memory.slabUnreclaimable == 40)
        #expect(metrics.memory.pgfault == 77)
        #expect(metrics.memory.workingsetRefault == 3)
        #expect(metrics.memory.thpFaultAlloc == 9)
        #expect(metrics.memory.usage == 123456)
        #expect(metrics.memory.usageLimit == 32 << 20)
        #expect(metrics.memory.swapUsage == 0)
        // "max" is no limit: containerd reports the largest uint64.
        #expect(metrics.memory.swapLimit == UInt64.max)
        #expect(metrics.hasMemoryEvents)
        #expect(metrics.memoryEvents.high == 4)
        #expect(metrics.memoryEvents.max == 5)
        #expect(metrics.memoryEvents.oom == 1)
        #expect(metrics.memoryEvents.oomKill == 1)
        #expect(metrics.io.usage.count == 2)
        let disk = try #require(metrics.io.usage.first)
        #expect((disk.major, disk.minor, disk.rbytes, disk.wbytes, disk.rios, disk.wios) == (8, 0, 4096, 8192, 1, 2))
        #expect(metrics.io.usage.last?.major == 253)
    }

    @Test func unlimitedAndMissingFilesReadAsContainerdReadsThem() throws {
        let cgroup = try TemporaryDirectory(prefix: "cgv2")
        defer { cgroup.remove() }
        try Self.write("1\n", cgroup.path, "pids.current")
        try Self.write("max\n", cgroup.path, "pids.max")
        try Self.write("max\n", cgroup.path, "memory.max")
        let metrics = CgroupStats.v2(Self.v2(cgroup.path))
        #expect(metrics.pids.current == 1)
        #expect(metrics.pids.limit == UInt64.max)
        #expect(metrics.memory.usageLimit == UInt64.max)
        // Absent files: zeros, and no memory events at all (containerd
        // leaves the message out when memory.events does not exist).
        #expect(metrics.memory.swapLimit == 0)
        #expect(metrics.memory.usage == 0)
        #expect(!metrics.hasMemoryEvents)
        #expect(metrics.io.usage.isEmpty)
    }

    @Test func v1PidsMaxOfMaxIsZeroAsInContainerdsV1Reader() throws {
        let cgroup = try TemporaryDirectory(prefix: "cgv1")
        defer { cgroup.remove() }
        try Self.write("2\n", cgroup.path, "pids.current")
        try Self.write("max\n", cgroup.path, "pids.max")
        let metrics = CgroupStats.v1(CgroupLocation(version: .v1, directories: ["pids": cgroup.path]))
        #expect(metrics.pids.current == 2)
        #expect(metrics.pids.limit == 0)
    }

    /// The v2 OOM watch is inotify on `memory.events`: only a rise of
    /// `oom_kill` is an OOM, not any other change of the file.
    @Test func theV2OOMWatchFiresOnlyWhenOOMKillRises() throws {
        let cgroup = try TemporaryDirectory(prefix: "cgv2")
        defer { cgroup.remove() }
        try Self.write("low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\n", cgroup.path, "memory.events")
        let loop = try EventLoop()
        let counter = Counter()
        let watch = try #require(
            OOMWatch.start(Self.v2(cgroup.path), loop: loop, logger: Logger(label: "test")) { counter.value += 1 })
        defer { watch.stop() }
        func turn() {
            for _ in 0..<5 { loop.runOnce(timeoutMilliseconds: 20) }
        }
        turn()
        #expect(counter.value == 0, "kills before the watch started are not new")

        try Self.write("low 0\nhigh 9\nmax 3\noom 0\noom_kill 2\n", cgroup.path, "memory.events")
        turn()
        #expect(counter.value == 0, "memory.high events are not OOM kills")

        try Self.write("low 0\nhigh 9\nmax 4\noom 1\noom_kill 3\n", cgroup.path, "memory.events")
        turn()
        #expect(counter.value == 1)

        try Self.write("low 0\nhigh 9\nmax 4\noom 2\noom_kill 5\n", cgroup.path, "memory.events")
        turn()
        #expect(counter.value == 2)

        // After stop nothing fires.
        watch.stop()
        try Self.write("low 0\nhigh 9\nmax 4\noom 3\noom_kill 6\n", cgroup.path, "memory.events")
        turn()
        #expect(counter.value == 2)
    }

    @Test func noMemoryEventsFileMeansNoWatch() throws {
        let cgroup = try TemporaryDirectory(prefix: "cgv2")
        defer { cgroup.remove() }
        let loop = try EventLoop()
        #expect(OOMWatch.start(Self.v2(cgroup.path), loop: loop, logger: Logger(label: "test")) {} == nil)
    }

    final class Counter {
        var value = 0
    }
}
