public import BerthOCI

extension SpecOption {
    /// Overrides the image's command, as `docker run [--entrypoint E] IMAGE [CMD...]` does:
    /// an entrypoint replaces the image's and drops its `Cmd`; a non-empty
    /// `command` replaces the `Cmd`.
    public static func args(entrypoint: [String]?, command: [String]) -> SpecOption {
        SpecOption("args") { spec, context throws(BundleError) in
            let config = context.image?.config
            let finalEntrypoint = entrypoint ?? config?.entrypoint ?? []
            let imageCmd = entrypoint == nil ? (config?.cmd ?? []) : []
            let args = finalEntrypoint + (command.isEmpty ? imageCmd : command)
            spec.processOrDefault.args = args.isEmpty ? nil : args
        }
    }

    /// Applies `entries` to the environment: `KEY=value` sets, a bare `KEY` removes.
    public static func env(_ entries: [String]) -> SpecOption {
        SpecOption("env") { spec, _ throws(BundleError) in
            spec.processOrDefault.env = try Environment.merge(spec.processOrDefault.env ?? [], entries)
        }
    }

    /// Sets the working directory, which must be absolute.
    public static func workdir(_ path: String) -> SpecOption {
        SpecOption("workdir") { spec, _ throws(BundleError) in
            guard path.hasPrefix("/") else {
                throw BundleError.invalid("the working directory \"\(path)\" is not an absolute path")
            }
            spec.processOrDefault.cwd = path
        }
    }

    /// Attaches a terminal and sets `TERM` (`container.json`'s `terminalEnv`) unless it is set.
    public static func terminal(_ on: Bool) -> SpecOption {
        SpecOption("tty") { spec, context throws(BundleError) in
            spec.processOrDefault.terminal = on ? true : nil
            if on {
                let env = spec.processOrDefault.env ?? []
                spec.processOrDefault.env = Environment.addDefault(context.defaults.container.terminalEnv, to: env)
            }
        }
    }

    /// Resolves `userString` against the rootfs's `/etc/passwd` and
    /// `/etc/group` (see ``UserResolver``) and sets `process.user`.
    public static func user(_ userString: String) -> SpecOption {
        SpecOption("user") { spec, context throws(BundleError) in
            let resolver = try UserResolver(rootfs: context.rootfs)
            spec.processOrDefault.user = try resolver.resolve(userString)
        }
    }

    /// Sets the hostname and the `HOSTNAME` variable (unless the image or the
    /// user set it). Apply after the namespace options:
    ///
    /// - without a UTS namespace (`--uts host`) there is no hostname to set
    ///   and `HOSTNAME` is the host's;
    /// - with the host's network and no explicit name, the host's name is used,
    ///   as Docker does;
    /// - otherwise `name`, or the first characters of the container id
    ///   (`container.json`'s `hostnameLength`).
    public static func hostname(_ name: String?) -> SpecOption {
        SpecOption("hostname") { spec, context throws(BundleError) in
            let resolved: String
            if !spec.hasNamespace(.uts) {
                if name != nil {
                    throw BundleError.invalid("--hostname cannot be used with the host's UTS namespace")
                }
                spec.hostname = nil
                resolved = context.host.hostname
            } else if let name {
                try validateHostname(name)
                resolved = name
                spec.hostname = name
            } else if !spec.hasNamespace(.network) {
                resolved = context.host.hostname
                spec.hostname = resolved
            } else {
                resolved = String(context.containerID.prefix(context.defaults.container.hostnameLength))
                spec.hostname = resolved
            }
            spec.processOrDefault.env = Environment.addDefault(
                "HOSTNAME=\(resolved)", to: spec.processOrDefault.env ?? [])
        }
    }

    static func validateHostname(_ name: String) throws(BundleError) {
        let valid =
            !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix("-") && !name.hasPrefix(".")
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
        guard valid else {
            throw BundleError.invalid(
                "invalid hostname \"\(name)\": use 1 to 64 letters, digits, '-' and '.', not starting with '-' or '.'"
            )
        }
    }

    /// Adds annotations, replacing any with the same key (the image's labels included).
    public static func annotations(_ values: [String: String]) -> SpecOption {
        SpecOption("annotations") { spec, _ throws(BundleError) in
            guard !values.isEmpty else { return }
            var annotations = spec.annotations ?? [:]
            for (key, value) in values {
                guard !key.isEmpty else { throw BundleError.invalid("an annotation key is empty") }
                annotations[key] = value
            }
            spec.annotations = annotations
        }
    }

    /// Sets `no_new_privs`: setuid binaries and file capabilities grant nothing.
    public static var noNewPrivileges: SpecOption {
        SpecOption("no-new-privileges") { spec, _ throws(BundleError) in
            spec.processOrDefault.noNewPrivileges = true
        }
    }

    /// Sets `oom_score_adj` (-1000...1000).
    public static func oomScoreAdj(_ value: Int) -> SpecOption {
        SpecOption("oom-score-adj") { spec, _ throws(BundleError) in
            guard (-1000...1000).contains(value) else {
                throw BundleError.invalid("oom-score-adj \(value) is out of range (-1000...1000)")
            }
            spec.processOrDefault.oomScoreAdj = value
        }
    }

    /// Sets resource limits; each replaces the existing one of the same type.
    public static func rlimits(_ limits: [Spec.POSIXRlimit]) -> SpecOption {
        SpecOption("ulimit") { spec, _ throws(BundleError) in
            var result = spec.processOrDefault.rlimits ?? []
            for limit in limits {
                guard limit.soft <= limit.hard else {
                    throw BundleError.invalid(
                        "ulimit \(limit.type): soft limit \(limit.soft) is above the hard limit \(limit.hard)"
                    )
                }
                if let index = result.firstIndex(where: { $0.type == limit.type }) {
                    result[index] = limit
                } else {
                    result.append(limit)
                }
            }
            spec.processOrDefault.rlimits = result.isEmpty ? nil : result
        }
    }
}
