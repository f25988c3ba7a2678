import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Where a process's cgroups are, found from `/proc/<pid>/cgroup` and the
/// cgroup mounts in `/proc/self/mountinfo`, so no spec parsing is needed.
struct CgroupLocation: Equatable {
    enum Version: Equatable { case v1, v2 }

    var version: Version
    /// v1: controller name → cgroup directory. v2: "" → the directory.
    var directories: [String: String]

    /// The directory for a v1 controller, or the v2 directory.
    func directory(_ controller: String) -> String? {
        version == .v2 ? directories[""] : directories[controller]
    }

    /// Locates the cgroups of `pid`; nil if the process is gone.
    static func of(pid: Int32) -> CgroupLocation? {
        guard let membership = FileSystem.readText("/proc/\(pid)/cgroup", limit: 64 << 10),
            let mountinfo = FileSystem.readText("/proc/self/mountinfo", limit: 4 << 20)
        else { return nil }
        return parse(membership: membership, mountinfo: mountinfo)
    }

    /// Parses `/proc/<pid>/cgroup` against the cgroup mounts.
    static func parse(membership: String, mountinfo: String) -> CgroupLocation? {
        var v1Mounts: [String: String] = [:]
        var v2Mount: String?
        for line in mountinfo.split(separator: "\n") {
            guard let dash = line.firstRange(of: " - ") else { continue }
            let before = line[..<dash.lowerBound].split(separator: " ")
            let after = line[dash.upperBound...].split(separator: " ")
            guard before.count > 4, after.count > 2 else { continue }
            let mountPoint = String(before[4])
            if after[0] == "cgroup2" {
                if v2Mount == nil || mountPoint == "/sys/fs/cgroup" { v2Mount = mountPoint }
            } else if after[0] == "cgroup" {
                for option in after[2].split(separator: ",") where option != "rw" && option != "ro" {
                    let name = option.hasPrefix("name=") ? String(option) : String(option)
                    if v1Mounts[name] == nil { v1Mounts[name] = mountPoint }
                }
            }
        }
        var v1: [String: String] = [:]
        var unifiedPath: String?
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty {
                unifiedPath = path
                continue
            }
            for controller in parts[1].split(separator: ",") {
                if let mount = v1Mounts[String(controller)] {
                    v1[String(controller)] = mount + (path == "/" ? "" : path)
                }
            }
        }
        if !v1.isEmpty {
            return CgroupLocation(version: .v1, directories: v1)
        }
        if let unifiedPath, let v2Mount {
            return CgroupLocation(version: .v2, directories: ["": v2Mount + (unifiedPath == "/" ? "" : unifiedPath)])
        }
        return nil
    }
}
