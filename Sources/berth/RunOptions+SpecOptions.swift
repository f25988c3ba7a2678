import ArgumentParser
import BerthBundle
import BerthOCI
import Foundation

extension RunOptions {
    /// The parsed flags as BerthBundle's plain ``RunFlags`` (which owns the
    /// mapping onto `SpecOptions`). `command` replaces the image's CMD when
    /// non-empty; `--hooks FILE` is read here.
    func runFlags(command: [String]) throws -> RunFlags {
        var flags = RunFlags()
        flags.entrypoint = entrypoint
        flags.command = command
        flags.env = env
        flags.envFiles = envFiles
        flags.user = user
        flags.workdir = workdir
        flags.tty = tty
        flags.interactive = interactive
        flags.hostname = hostname
        flags.annotations = annotations
        flags.readOnly = readOnly
        flags.volumes = volumes
        flags.mounts = mounts
        flags.tmpfs = tmpfs
        flags.volumesRoot = volumesRoot
        flags.noImageVolumes = noImageVolumes
        flags.capAdd = capAdd
        flags.capDrop = capDrop
        flags.privileged = privileged
        flags.securityOptions = securityOptions
        flags.ulimits = ulimits
        flags.memory = memory
        flags.memorySwap = memorySwap
        flags.memoryReservation = memoryReservation
        flags.cpus = cpus
        flags.cpuPeriod = cpuPeriod
        flags.cpuQuota = cpuQuota
        flags.cpuShares = cpuShares
        flags.cpusetCpus = cpusetCpus
        flags.cpusetMems = cpusetMems
        flags.pidsLimit = pidsLimit
        flags.devices = devices
        flags.sysctls = sysctls
        flags.network = network
        flags.pid = pid
        flags.ipc = ipc
        flags.uts = uts
        flags.uidMaps = uidMaps
        flags.gidMaps = gidMaps
        flags.cgroupParent = cgroupParent
        flags.cgroupsPath = cgroupsPath
        flags.oomScoreAdj = oomScoreAdj
        if let hooksFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: hooksFile))
            flags.hooks = try JSONDecoder().decode(Spec.Hooks.self, from: data)
        }
        return flags
    }

    /// The options as the bundle generator takes them. `command` replaces the
    /// image's CMD when non-empty.
    func specOptions(containerID: String, command: [String]) throws -> SpecOptions {
        let environment = ProcessInfo.processInfo.environment
        return try runFlags(command: command).specOptions(containerID: containerID) { environment[$0] }
    }
}
