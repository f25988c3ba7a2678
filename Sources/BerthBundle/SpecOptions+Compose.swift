internal import BerthOCI

extension SpecOptions {
    /// The options, in the order ``BundleGenerator`` applies them after
    /// ``SpecOption/imageConfig``. The order matters where one option reads
    /// what another wrote:
    ///
    /// 1. namespaces (the hostname and sysctls depend on them), then the
    ///    hostname and terminal, which add `HOSTNAME` and `TERM` defaults;
    /// 2. process: args, then the user's env (which may override or remove
    ///    those defaults), working directory, annotations;
    /// 3. filesystem: read-only root, user mounts, then the image's volumes
    ///    (which skip paths a user mount covers);
    /// 4. security: `privileged` or capability add/drop, no-new-privileges, then
    ///    seccomp (whose rules depend on the final bounding set);
    /// 5. resources, devices, sysctls, cgroups path, oom score, hooks;
    /// 6. the user, resolved inside the rootfs.
    public func specOptions() -> [SpecOption] {
        var list: [SpecOption] = [
            .namespace(.network, network), .namespace(.pid, pid), .namespace(.ipc, ipc), .namespace(.uts, uts),
        ]
        if !uidMappings.isEmpty || !gidMappings.isEmpty {
            list.append(.userNamespace(uidMappings: uidMappings, gidMappings: gidMappings))
        }
        list.append(.hostname(hostname))
        if tty { list.append(.terminal(true)) }

        if entrypoint != nil || !command.isEmpty {
            list.append(.args(entrypoint: entrypoint, command: command))
        }
        if !env.isEmpty { list.append(.env(env)) }
        if let workdir { list.append(.workdir(workdir)) }
        if !annotations.isEmpty { list.append(.annotations(annotations)) }

        if readOnlyRootfs { list.append(.readOnlyRootfs) }
        if !mounts.isEmpty { list.append(.mounts(mounts, volumesRoot: volumesRoot)) }
        list.append(.imageVolumes(imageVolumes, volumesRoot: volumesRoot))

        if privileged {
            list.append(.privileged)
        } else if !capAdd.isEmpty || !capDrop.isEmpty {
            list.append(.capabilities(add: capAdd, drop: capDrop))
        }
        if noNewPrivileges { list.append(.noNewPrivileges) }
        if let seccomp {
            list.append(.seccomp(seccomp))
        } else if !privileged {
            list.append(.seccomp(.default))
        }

        if !rlimits.isEmpty { list.append(.rlimits(rlimits)) }
        list.append(.memory(limit: memory, swap: memorySwap, reservation: memoryReservation))
        list.append(
            .cpu(
                nanoCPUs: nanoCPUs, period: cpuPeriod, quota: cpuQuota, shares: cpuShares,
                cpus: cpusetCpus, mems: cpusetMems
            )
        )
        if let pidsLimit { list.append(.pidsLimit(pidsLimit)) }
        if !devices.isEmpty { list.append(.devices(devices)) }
        if !sysctls.isEmpty { list.append(.sysctls(sysctls)) }
        list.append(cgroupsPathOption)
        if let oomScoreAdj { list.append(.oomScoreAdj(oomScoreAdj)) }
        if let hooks { list.append(.hooks(hooks)) }

        list.append(userOption)
        return list
    }

    /// `cgroupsPath` as given, else `<cgroupParent or the default parent>/<id>`.
    private var cgroupsPathOption: SpecOption {
        if let cgroupsPath { return .cgroupsPath(cgroupsPath) }
        let parent = cgroupParent
        let id = containerID
        return SpecOption("cgroups path") { spec, context throws(BundleError) in
            var base = parent ?? context.defaults.container.cgroupParent
            while base.count > 1, base.hasSuffix("/") { base.removeLast() }
            let path = base == "/" ? "/\(id)" : "\(base)/\(id)"
            try SpecOption.cgroupsPath(path).apply(to: &spec, in: context)
        }
    }

    /// The user option: `user`, else the image's `User`, else root.
    private var userOption: SpecOption {
        let override = user
        return SpecOption("user") { spec, context throws(BundleError) in
            let userString = override ?? context.image?.config?.user ?? ""
            try SpecOption.user(userString).apply(to: &spec, in: context)
        }
    }
}
