public import BerthOCI

extension SpecOption {
    /// Chooses how the container gets a namespace: a new one, the host's
    /// (the entry is removed), or one joined by path.
    ///
    /// `--ipc host` also replaces the private `/dev/shm` with a bind mount of
    /// the host's, as Docker does.
    public static func namespace(
        _ type: Spec.Linux.NamespaceType,
        _ mode: SpecOptions.NamespaceMode
    ) -> SpecOption {
        SpecOption("namespace \(type.rawValue)") { spec, _ throws(BundleError) in
            var namespaces = (spec.linux?.namespaces ?? []).filter { $0.type != type }
            switch mode {
            case .private:
                namespaces.append(Spec.Linux.Namespace(type: type))
            case .host:
                if type == .ipc {
                    spec.mounts = spec.mounts?.map { mount in
                        guard mount.destination == "/dev/shm" else { return mount }
                        return Spec.Mount(
                            destination: "/dev/shm",
                            type: "bind",
                            source: "/dev/shm",
                            options: ["rbind", "rprivate", "nosuid", "noexec", "nodev"]
                        )
                    }
                }
            case .path(let path):
                guard path.hasPrefix("/") else {
                    throw BundleError.invalid("namespace path \"\(path)\" is not absolute")
                }
                namespaces.append(Spec.Linux.Namespace(type: type, path: path))
            }
            spec.linuxOrDefault.namespaces = Self.inStandardOrder(namespaces)
        }
    }

    /// Adds a user namespace with these id mappings. Without gid mappings the
    /// uid ranges are used for gids too. Each mapping's range must not overflow.
    public static func userNamespace(
        uidMappings: [Spec.Linux.IDMapping],
        gidMappings: [Spec.Linux.IDMapping]
    ) -> SpecOption {
        SpecOption("user namespace") { spec, _ throws(BundleError) in
            guard !uidMappings.isEmpty || !gidMappings.isEmpty else { return }
            guard !uidMappings.isEmpty else {
                throw BundleError.invalid("--gidmap needs --uidmap")
            }
            let gids = gidMappings.isEmpty ? uidMappings : gidMappings
            for mapping in uidMappings + gids {
                guard mapping.size > 0,
                    UInt64(mapping.containerID) + UInt64(mapping.size) <= UInt64(UInt32.max) + 1,
                    UInt64(mapping.hostID) + UInt64(mapping.size) <= UInt64(UInt32.max) + 1
                else {
                    throw BundleError.invalid(
                        "invalid id mapping \(mapping.containerID):\(mapping.hostID):\(mapping.size)"
                    )
                }
            }
            spec.linuxOrDefault.uidMappings = uidMappings
            spec.linuxOrDefault.gidMappings = gids
            var namespaces = (spec.linux?.namespaces ?? []).filter { $0.type != .user }
            namespaces.append(Spec.Linux.Namespace(type: .user))
            spec.linuxOrDefault.namespaces = inStandardOrder(namespaces)
        }
    }

    /// Sets `linux.cgroupsPath`.
    public static func cgroupsPath(_ path: String) -> SpecOption {
        SpecOption("cgroups path") { spec, _ throws(BundleError) in
            guard !path.isEmpty else { throw BundleError.invalid("the cgroups path is empty") }
            spec.linuxOrDefault.cgroupsPath = path
        }
    }

    /// Appends hooks to each lifecycle stage.
    public static func hooks(_ hooks: Spec.Hooks) -> SpecOption {
        SpecOption("hooks") { spec, _ throws(BundleError) in
            var merged = spec.hooks ?? Spec.Hooks()
            func append(_ stage: WritableKeyPath<Spec.Hooks, [Spec.Hook]?>) throws(BundleError) {
                guard let added = hooks[keyPath: stage], !added.isEmpty else { return }
                for hook in added {
                    guard hook.path.hasPrefix("/") else {
                        throw BundleError.invalid("hook path \"\(hook.path)\" is not absolute")
                    }
                    if let timeout = hook.timeout, timeout < 1 {
                        throw BundleError.invalid("hook \(hook.path): timeout must be at least 1 second")
                    }
                }
                merged[keyPath: stage] = (merged[keyPath: stage] ?? []) + added
            }
            try append(\.prestart)
            try append(\.createRuntime)
            try append(\.createContainer)
            try append(\.startContainer)
            try append(\.poststart)
            try append(\.poststop)
            spec.hooks = merged
        }
    }

    /// Namespaces in a fixed order (pid, ipc, uts, mount, network, user,
    /// cgroup), so output does not depend on the order options ran in.
    static func inStandardOrder(_ namespaces: [Spec.Linux.Namespace]) -> [Spec.Linux.Namespace] {
        let order: [Spec.Linux.NamespaceType] = [.pid, .ipc, .uts, .mount, .network, .user, .cgroup]
        return namespaces.sorted { lhs, rhs in
            (order.firstIndex(of: lhs.type) ?? order.count) < (order.firstIndex(of: rhs.type) ?? order.count)
        }
    }
}
