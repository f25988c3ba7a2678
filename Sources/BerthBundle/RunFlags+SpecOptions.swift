public import BerthOCI
import Foundation

extension RunFlags {
    /// The flags as the bundle generator takes them.
    ///
    /// - Parameters:
    ///   - containerID: the container's id.
    ///   - lookup: the caller's environment, for `-e KEY` and `--env-file`
    ///     lines without a value.
    /// - Throws: `BundleError` for a value that does not parse or a file
    ///   that cannot be read.
    public func specOptions(containerID: String, lookup: (String) -> String?) throws -> SpecOptions {
        var options = SpecOptions(containerID: containerID)

        options.entrypoint = entrypoint.map { $0.isEmpty ? [] : [$0] }
        options.command = command
        for path in envFiles {
            let text = String(decoding: try Self.read(path, flag: "--env-file"), as: UTF8.self)
            options.env += try FlagParser.envFile(text, lookup: lookup)
        }
        for entry in env {
            options.env.append(try FlagParser.env(entry, lookup: lookup))
        }
        options.user = user
        options.workdir = workdir
        options.tty = tty
        options.stdin = interactive

        options.hostname = hostname
        for entry in annotations {
            let (key, value) = try FlagParser.keyValue(entry, flag: "--annotation")
            options.annotations[key] = value
        }

        options.readOnlyRootfs = readOnly
        options.mounts += try volumes.map { try MountRequest(volumeFlag: $0) }
        options.mounts += try mounts.map { try MountRequest(mountFlag: $0) }
        options.mounts += try tmpfs.map { try MountRequest(tmpfsFlag: $0) }
        options.volumesRoot = volumesRoot
        options.imageVolumes = noImageVolumes ? .ignore : .anonymous

        options.capAdd = capAdd
        options.capDrop = capDrop
        options.privileged = privileged
        try applySecurityOptions(to: &options)

        options.rlimits = try ulimits.map(FlagParser.ulimit)
        options.memory = try memory.map { try FlagParser.byteSize($0, flag: "--memory") }
        options.memorySwap = try memorySwap.map {
            try FlagParser.byteSize($0, flag: "--memory-swap", allowUnlimited: true)
        }
        options.memoryReservation = try memoryReservation.map {
            try FlagParser.byteSize($0, flag: "--memory-reservation")
        }
        options.nanoCPUs = try cpus.map(FlagParser.nanoCPUs)
        options.cpuPeriod = cpuPeriod
        options.cpuQuota = cpuQuota
        options.cpuShares = cpuShares
        options.cpusetCpus = cpusetCpus
        options.cpusetMems = cpusetMems
        options.pidsLimit = pidsLimit
        options.devices = try devices.map(FlagParser.device)
        for entry in sysctls {
            let (key, value) = try FlagParser.keyValue(entry, flag: "--sysctl")
            options.sysctls[key] = value
        }

        options.network = try network.map { try FlagParser.namespaceMode($0, flag: "--net") } ?? .private
        options.pid = try pid.map { try FlagParser.namespaceMode($0, flag: "--pid") } ?? .private
        options.ipc = try ipc.map { try FlagParser.namespaceMode($0, flag: "--ipc") } ?? .private
        options.uts = try uts.map { try FlagParser.namespaceMode($0, flag: "--uts") } ?? .private
        options.uidMappings = try uidMaps.map { try FlagParser.idMapping($0, flag: "--uidmap") }
        options.gidMappings = try gidMaps.map { try FlagParser.idMapping($0, flag: "--gidmap") }

        options.cgroupParent = cgroupParent
        options.cgroupsPath = cgroupsPath
        options.oomScoreAdj = oomScoreAdj
        options.hooks = hooks
        return options
    }

    /// `--security-opt`: `seccomp=default|unconfined|FILE` (also `seccomp:…`)
    /// and `no-new-privileges[=true|false]`.
    private func applySecurityOptions(to options: inout SpecOptions) throws(BundleError) {
        for entry in securityOptions {
            let separator = entry.firstIndex { $0 == "=" || $0 == ":" }
            let key = separator.map { String(entry[..<$0]) } ?? entry
            let value = separator.map { String(entry[entry.index(after: $0)...]) }
            switch (key, value) {
            case ("seccomp", "default"?):
                options.seccomp = .default
            case ("seccomp", "unconfined"?):
                options.seccomp = .unconfined
            case ("seccomp", let path?) where !path.isEmpty:
                options.seccomp = .profile(
                    try SeccompProfile(json: try Self.read(path, flag: "--security-opt seccomp")))
            case ("no-new-privileges", nil), ("no-new-privileges", "true"?):
                options.noNewPrivileges = true
            case ("no-new-privileges", "false"?):
                options.noNewPrivileges = false
            case ("apparmor", _), ("label", _), ("systempaths", _):
                throw .invalid("--security-opt \(key) is not supported by Berth")
            default:
                throw .invalid(
                    "--security-opt: invalid value \"\(entry)\" (want seccomp=default|unconfined|FILE or no-new-privileges)"
                )
            }
        }
    }

    private static func read(_ path: String, flag: String) throws(BundleError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("\(flag): cannot read \(path)")
        }
        return [UInt8](data)
    }
}
