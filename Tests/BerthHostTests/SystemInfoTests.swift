import BerthCapabilities
import BerthHost
import BerthSeccomp
import Foundation
import Logging
import Testing

@Suite struct SystemInfoTests {
    static let info = SystemInfo.gather(logger: Logger(label: "test"))

    @Test func findsRuncWithItsVersionAndFeatures() throws {
        let runc = try #require(Self.info.executors.first { $0.name == "runc" })
        #expect(["/usr/sbin/runc", "/usr/bin/runc"].contains(runc.path))
        #expect(runc.version?.contains("runc version") == true)
        #expect(runc.featuresSource == .executor)
        let seccomp = try #require(runc.features?.linux?.seccomp)
        #expect(seccomp.actions?.contains("SCMP_ACT_ALLOW") == true)
        #expect(runc.features?.linux?.namespaces?.contains("pid") == true)
    }

    @Test func everyExecutorFoundHasFeatures() throws {
        for executor in Self.info.executors {
            #expect(executor.features != nil, "\(executor.name)")
            if executor.name == "runsc" {
                #expect(executor.featuresSource == .staticTable)
                #expect(executor.features?.linux?.seccomp?.enabled == false)
            }
        }
    }

    @Test func cgroupModeMatchesMountinfo() throws {
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        var types: [String: String] = [:]
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields.count > 4 else { continue }
            types[String(fields[4])] = String(fields[dash + 1])
        }
        let expected: CgroupMode =
            switch (types["/sys/fs/cgroup"], types["/sys/fs/cgroup/unified"]) {
            case ("cgroup2", _): .unified
            case ("tmpfs", "cgroup2"): .hybrid
            default: .legacy
            }
        #expect(Self.info.cgroups.mode == expected)
        #expect(SystemInfo.CgroupInfo.detectMode() == expected)
        if expected == .hybrid {
            #expect(Self.info.cgroups.v2MountPoint == "/sys/fs/cgroup/unified")
            #expect(!Self.info.cgroups.v1Controllers.isEmpty)
        }
        // statfs(2) agrees, as coreutils' `stat -f` reports it.
        let statType = try run("/usr/bin/stat", ["-f", "-c", "%T", "/sys/fs/cgroup"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(statType == (expected == .unified ? "cgroup2fs" : "tmpfs"))
    }

    @Test func hostFactsArePresent() throws {
        let host = Self.info.host
        #expect(host.kernelName == "Linux")
        #expect(!host.kernelRelease.isEmpty)
        #expect(host.cpus == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect((host.memoryBytes ?? 0) > 0)
        if FileManager.default.fileExists(atPath: "/etc/os-release") {
            #expect(host.operatingSystem?.isEmpty == false)
            #expect(host.operatingSystem?.contains("\"") == false)
        }
    }

    @Test func kernelFeaturesAgreeWithTheLibraries() {
        let info = Self.info
        #expect(info.seccomp.apiLevel == Seccomp.apiLevel)
        #expect(info.seccomp.supportedActions == Seccomp.supportedActions)
        #expect(info.capabilities.kernelCount == Capabilities.supportedByKernel.count)
        #expect(
            info.capabilities.boundingSet.count + info.capabilities.missingFromBoundingSet.count
                == info.capabilities.kernelCount)
        #expect(info.storage.defaultSnapshotter == "overlayfs")
        let filesystems = (try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8)) ?? ""
        #expect(info.storage.overlayAvailable == filesystems.contains("\toverlay\n"))
        #expect(["supported", "unsupported", "unknown"].contains(info.bpf.cgroupDevice))
    }

    @Test func jsonRoundTrips() throws {
        let json = try Self.info.renderJSON()
        let decoded = try SystemInfo.decode(json: Data(json.utf8))
        #expect(decoded == Self.info)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["executors"] != nil)
    }

    @Test func textHasSectionsAndAlignedValues() {
        let text = Self.info.renderText()
        for heading in SystemInfoTests.headings {
            #expect(text.contains("\n\(heading):\n") || text.hasPrefix("\(heading):\n"), "\(heading)")
        }
        // Within the Host section every value starts in the same column.
        let hostLines =
            text.components(separatedBy: "\n\n")
            .first { $0.hasPrefix("Host:") }?
            .split(separator: "\n").dropFirst() ?? []
        let columns = Set(
            hostLines.compactMap { line -> Int? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                let afterColon = line[line.index(after: colon)...]
                return line.distance(from: line.startIndex, to: colon) + 1 + afterColon.prefix { $0 == " " }.count
            })
        #expect(columns.count == 1)
    }

    static let headings = ["Berth", "Host", "Executors", "Cgroups", "Seccomp", "Capabilities", "BPF", "Storage"]
}

/// Runs a program and returns its standard output.
func run(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
