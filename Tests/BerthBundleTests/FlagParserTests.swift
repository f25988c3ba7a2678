import BerthBundle
import BerthOCI
import Testing

@Suite("docker run flag values")
struct FlagParserTests {
    @Test(
        "sizes",
        arguments: [
            ("512m", Int64(512 << 20)), ("1g", Int64(1 << 30)), ("1.5g", Int64(3 << 29)), ("64k", Int64(65536)),
            ("100", Int64(100)), ("2GiB", Int64(2 << 30)), ("10mb", Int64(10 << 20)), ("7b", Int64(7)),
        ])
    func sizes(text: String, bytes: Int64) throws {
        #expect(try FlagParser.byteSize(text, flag: "-m") == bytes)
    }

    @Test("bad sizes", arguments: ["", "m", "12x", "-5", "1.2.3k"])
    func badSizes(text: String) {
        #expect(throws: BundleError.self) { try FlagParser.byteSize(text, flag: "-m") }
    }

    @Test("unlimited swap")
    func unlimited() throws {
        #expect(try FlagParser.byteSize("-1", flag: "--memory-swap", allowUnlimited: true) == -1)
    }

    @Test(
        "cpus",
        arguments: [
            ("1.5", Int64(1_500_000_000)), ("2", Int64(2_000_000_000)), (".25", Int64(250_000_000)),
            ("0.000000001", Int64(1)),
        ])
    func cpus(text: String, nanos: Int64) throws {
        #expect(try FlagParser.nanoCPUs(text) == nanos)
    }

    @Test("bad cpus", arguments: ["", "x", "1.0000000001", "1,5", "-1"])
    func badCPUs(text: String) {
        #expect(throws: BundleError.self) { try FlagParser.nanoCPUs(text) }
    }

    @Test("ulimits")
    func ulimits() throws {
        #expect(try FlagParser.ulimit("nofile=1024:2048") == .init(type: "RLIMIT_NOFILE", hard: 2048, soft: 1024))
        #expect(try FlagParser.ulimit("nproc=64") == .init(type: "RLIMIT_NPROC", hard: 64, soft: 64))
        #expect(try FlagParser.ulimit("core=-1") == .init(type: "RLIMIT_CORE", hard: .max, soft: .max))
        #expect(throws: BundleError.self) { try FlagParser.ulimit("bogus=1") }
        #expect(throws: BundleError.self) { try FlagParser.ulimit("nofile=10:5") }
        #expect(throws: BundleError.self) { try FlagParser.ulimit("nofile") }
    }

    @Test("devices")
    func devices() throws {
        #expect(try FlagParser.device("/dev/fuse") == DeviceRequest(hostPath: "/dev/fuse"))
        #expect(try FlagParser.device("/dev/fuse:r") == DeviceRequest(hostPath: "/dev/fuse", permissions: "r"))
        #expect(
            try FlagParser.device("/dev/sda:/dev/xvda")
                == DeviceRequest(hostPath: "/dev/sda", containerPath: "/dev/xvda"))
        #expect(
            try FlagParser.device("/dev/sda:/dev/xvda:rw")
                == DeviceRequest(hostPath: "/dev/sda", containerPath: "/dev/xvda", permissions: "rw")
        )
        #expect(throws: BundleError.self) { try FlagParser.device("sda") }
        #expect(throws: BundleError.self) { try FlagParser.device("/dev/sda:/x:q") }
    }

    @Test("id mappings and namespace modes")
    func namespaces() throws {
        #expect(
            try FlagParser.idMapping("0:100000:65536", flag: "--uidmap")
                == .init(containerID: 0, hostID: 100_000, size: 65536))
        #expect(throws: BundleError.self) { try FlagParser.idMapping("0:1", flag: "--uidmap") }
        #expect(throws: BundleError.self) { try FlagParser.idMapping("0:1:0", flag: "--uidmap") }
        #expect(try FlagParser.namespaceMode("host", flag: "--pid") == .host)
        #expect(try FlagParser.namespaceMode("none", flag: "--net") == .private)
        #expect(try FlagParser.namespaceMode("ns:/proc/1/ns/net", flag: "--net") == .path("/proc/1/ns/net"))
        #expect(throws: BundleError.self) { try FlagParser.namespaceMode("none", flag: "--pid") }
        #expect(throws: BundleError.self) { try FlagParser.namespaceMode("bridge", flag: "--net") }
    }

    @Test("environment entries and files")
    func environment() throws {
        let lookup: (String) -> String? = { $0 == "HOME" ? "/root" : nil }
        #expect(try FlagParser.env("A=1", lookup: lookup) == "A=1")
        #expect(try FlagParser.env("HOME", lookup: lookup) == "HOME=/root")
        #expect(try FlagParser.env("UNSET", lookup: lookup) == "UNSET")
        #expect(throws: BundleError.self) { try FlagParser.env("=x", lookup: lookup) }
        let file = "# comment\n\nA=1\n  B=two words\r\nHOME\nC=\n"
        #expect(try FlagParser.envFile(file, lookup: lookup) == ["A=1", "B=two words", "HOME=/root", "C="])
        #expect(throws: BundleError.self) { try FlagParser.envFile("BAD KEY=1", lookup: lookup) }
    }

    @Test("key=value")
    func keyValue() throws {
        #expect(try FlagParser.keyValue("a=b=c", flag: "--sysctl") == ("a", "b=c"))
        #expect(try FlagParser.keyValue("a=", flag: "--annotation") == ("a", ""))
        #expect(throws: BundleError.self) { try FlagParser.keyValue("=b", flag: "--sysctl") }
        #expect(throws: BundleError.self) { try FlagParser.keyValue("ab", flag: "--sysctl") }
    }

    @Test("-v")
    func volumeFlag() throws {
        #expect(
            try MountRequest(volumeFlag: "/src:/dst") == MountRequest(kind: .bind(source: "/src"), destination: "/dst"))
        #expect(
            try MountRequest(volumeFlag: "/src:/dst:ro,rshared")
                == MountRequest(kind: .bind(source: "/src"), destination: "/dst", readOnly: true, propagation: .rshared)
        )
        #expect(
            try MountRequest(volumeFlag: "data:/data:z")
                == MountRequest(kind: .volume(name: "data"), destination: "/data"))
        #expect(try MountRequest(volumeFlag: "/anon") == MountRequest(kind: .volume(name: nil), destination: "/anon"))
        #expect(throws: BundleError.self) { try MountRequest(volumeFlag: "/a:/b:bogus") }
        #expect(throws: BundleError.self) { try MountRequest(volumeFlag: "a:b:c:d") }
        #expect(throws: BundleError.self) { try MountRequest(volumeFlag: ":/b") }
    }

    @Test("--mount")
    func mountFlag() throws {
        #expect(
            try MountRequest(mountFlag: "type=bind,source=/s,target=/t,readonly,bind-propagation=rslave")
                == MountRequest(kind: .bind(source: "/s"), destination: "/t", readOnly: true, propagation: .rslave)
        )
        #expect(
            try MountRequest(mountFlag: "type=bind,src=/s,dst=/t,bind-recursive=disabled")
                == MountRequest(kind: .bind(source: "/s"), destination: "/t", recursive: false)
        )
        #expect(
            try MountRequest(mountFlag: "source=v,target=/v")
                == MountRequest(kind: .volume(name: "v"), destination: "/v"))
        #expect(
            try MountRequest(mountFlag: "type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770")
                == MountRequest(kind: .tmpfs, destination: "/run", tmpfsOptions: ["size=67108864", "mode=1770"])
        )
        #expect(throws: BundleError.self) { try MountRequest(mountFlag: "type=bind,target=/t") }
        #expect(throws: BundleError.self) { try MountRequest(mountFlag: "type=nfs,target=/t") }
        #expect(throws: BundleError.self) { try MountRequest(mountFlag: "type=tmpfs,target=/t,colour=blue") }
        #expect(throws: BundleError.self) { try MountRequest(mountFlag: "type=tmpfs,target=/t,tmpfs-mode=999") }
        #expect(throws: BundleError.self) { try MountRequest(mountFlag: "type=bind,source=/a,source=/b,target=/t") }
    }

    @Test("--tmpfs")
    func tmpfsFlag() throws {
        #expect(
            try MountRequest(tmpfsFlag: "/run:rw,size=64m")
                == MountRequest(kind: .tmpfs, destination: "/run", tmpfsOptions: ["rw", "size=64m"])
        )
        #expect(try MountRequest(tmpfsFlag: "/tmp") == MountRequest(kind: .tmpfs, destination: "/tmp"))
        #expect(throws: BundleError.self) { try MountRequest(tmpfsFlag: ":size=1m") }
    }
}
