internal import BerthCapabilities
internal import Logging
internal import BerthOCI

extension SpecOption {
    /// Adds and drops capabilities with Docker's rules. Names are accepted as
    /// `NET_ADMIN`, `CAP_NET_ADMIN` or `net_admin`; an unknown name is an error.
    ///
    /// - `ALL` in `add`: every capability the host can grant (see
    ///   ``BundleHost/privilegedCapabilities``) except those in `drop`;
    /// - else `ALL` in `drop`: exactly the capabilities in `add`;
    /// - otherwise the current set, minus `drop`, plus `add`.
    ///
    /// The result becomes the bounding, effective and permitted sets.
    public static func capabilities(add: [String], drop: [String]) -> SpecOption {
        SpecOption("capabilities") { spec, context throws(BundleError) in
            guard !add.isEmpty || !drop.isEmpty else { return }
            let addAll = add.contains { $0.uppercased() == "ALL" }
            let dropAll = drop.contains { $0.uppercased() == "ALL" }
            let adds = try canonicalCapabilities(add.filter { $0.uppercased() != "ALL" })
            let drops = Set(try canonicalCapabilities(drop.filter { $0.uppercased() != "ALL" }))
            let current = spec.process?.capabilities?.bounding ?? []
            var result: [String]
            if addAll {
                result = context.host.privilegedCapabilities.filter { !drops.contains($0) }
            } else if dropAll {
                result = adds
            } else {
                result = current.filter { !drops.contains($0) }
                for name in adds where !result.contains(name) {
                    result.append(name)
                }
            }
            let grantable = Set(context.host.privilegedCapabilities)
            for name in result where !grantable.contains(name) {
                context.logger.warning(
                    "capability is not in the host's bounding set; the runtime will fail to grant it",
                    metadata: ["capability": "\(name)"]
                )
            }
            setCapabilities(result, in: &spec)
        }
    }

    /// Docker's `--privileged`: every capability the host can grant, every
    /// device (the host's device nodes, all allowed in the device cgroup), no
    /// masked or read-only paths, no seccomp filter, and `/sys` and
    /// `/sys/fs/cgroup` mounted read-write.
    public static var privileged: SpecOption {
        SpecOption("privileged") { spec, context throws(BundleError) in
            setCapabilities(context.host.privilegedCapabilities, in: &spec)
            spec.linuxOrDefault.devices = context.host.allDevices()
            spec.resourcesOrDefault.devices = [Spec.Linux.Resources.DeviceRule(allow: true, access: "rwm")]
            spec.linuxOrDefault.maskedPaths = nil
            spec.linuxOrDefault.readonlyPaths = nil
            spec.linuxOrDefault.seccomp = nil
            spec.mounts = spec.mounts?.map { mount in
                guard mount.destination == "/sys" || mount.destination == "/sys/fs/cgroup" else { return mount }
                var writable = mount
                writable.options = mount.options.map { options in options.map { $0 == "ro" ? "rw" : $0 } }
                return writable
            }
        }
    }

    /// Sets the seccomp filter. The default and file profiles are resolved
    /// against the spec's bounding set at this point, so apply this after the
    /// capability options.
    public static func seccomp(_ choice: SpecOptions.SeccompChoice) -> SpecOption {
        SpecOption("seccomp") { spec, context throws(BundleError) in
            let profile: SeccompProfile
            switch choice {
            case .unconfined:
                spec.linuxOrDefault.seccomp = nil
                return
            case .default:
                profile = context.defaults.seccomp
            case .profile(let custom):
                profile = custom
            }
            spec.linuxOrDefault.seccomp = try profile.resolve(
                capabilities: spec.process?.capabilities?.bounding ?? [],
                host: context.host,
                logger: context.logger
            )
        }
    }

    static func canonicalCapabilities(_ names: [String]) throws(BundleError) -> [String] {
        do {
            return try Capabilities.validate(names)
        } catch {
            throw BundleError(error.code, error.message)
        }
    }

    static func setCapabilities(_ names: [String], in spec: inout Spec) {
        var sets = spec.processOrDefault.capabilities ?? Spec.Linux.Capabilities()
        sets.bounding = names
        sets.effective = names
        sets.permitted = names
        sets.inheritable = nil
        sets.ambient = nil
        spec.processOrDefault.capabilities = sets
    }
}
