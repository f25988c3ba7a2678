public import BerthOCI
internal import BerthSeccomp
public import Logging

extension SeccompProfile {
    /// The runtime-spec `linux.seccomp` this profile becomes for a container
    /// whose bounding set is `capabilities`, on `host`.
    ///
    /// - `architectures`: the `archMap` entry of the host's native
    ///   architecture (native first, then its compat ones); without `archMap`,
    ///   the profile's `architectures` as written.
    /// - Each rule is kept when all its `includes` hold and none of its
    ///   `excludes` does (caps against `capabilities`, arches against the
    ///   native architecture, `minKernel` against the running kernel).
    /// - System call names the host's libseccomp does not know are dropped with
    ///   a warning, as runc does; a rule left with no names is dropped.
    /// - Actions, operators and architectures are validated through
    ///   BerthSeccomp; an invalid one is an error.
    public func resolve(
        capabilities: [String],
        host: any BundleHost,
        logger: Logger
    ) throws(BundleError) -> Spec.Linux.Seccomp {
        try check { () throws(SeccompError) in try Seccomp.validate(action: defaultAction) }
        let capabilitySet = Set(capabilities)
        var rules: [Spec.Linux.Seccomp.Syscall] = []
        for (index, rule) in (syscalls ?? []).enumerated() {
            guard try applies(rule, capabilities: capabilitySet, host: host) else { continue }
            if rule.names != nil, rule.name != nil {
                throw BundleError.invalid("seccomp rule \(index): use either \"names\" or \"name\", not both")
            }
            let names = rule.allNames
            guard !names.isEmpty else {
                throw BundleError.invalid("seccomp rule \(index) names no system call")
            }
            try check { () throws(SeccompError) in try Seccomp.validate(action: rule.action) }
            var args: [Spec.Linux.Seccomp.Arg] = []
            for arg in rule.args ?? [] {
                try check { () throws(SeccompError) in try Seccomp.validate(operator: arg.op) }
                guard arg.index < 6 else {
                    throw BundleError.invalid("seccomp rule \(index): argument index \(arg.index) is above 5")
                }
                args.append(
                    .init(index: arg.index, value: arg.value, valueTwo: arg.valueTwo, op: .init(rawValue: arg.op)))
            }
            let known = host.knownSyscalls(names, logger: logger)
            guard !known.isEmpty else { continue }
            rules.append(
                Spec.Linux.Seccomp.Syscall(
                    names: known,
                    action: .init(rawValue: rule.action),
                    errnoRet: rule.errnoRet,
                    args: args.isEmpty ? nil : args
                )
            )
        }
        let architectures = try resolvedArchitectures(host: host)
        return Spec.Linux.Seccomp(
            defaultAction: .init(rawValue: defaultAction),
            defaultErrnoRet: defaultErrnoRet,
            architectures: architectures.isEmpty ? nil : architectures.map { .init(rawValue: $0) },
            flags: flags.map { $0.map { .init(rawValue: $0) } },
            listenerPath: listenerPath,
            listenerMetadata: listenerMetadata,
            syscalls: rules.isEmpty ? nil : rules
        )
    }

    private func resolvedArchitectures(host: any BundleHost) throws(BundleError) -> [String] {
        let names: [String]
        if let archMap, !archMap.isEmpty {
            guard let native = host.seccompArchitecture,
                let entry = archMap.first(where: { Self.normalizeArchitecture($0.architecture) == native })
            else { return [] }
            names = [native] + (entry.subArchitectures ?? []).map(Self.normalizeArchitecture)
        } else {
            names = (architectures ?? []).map(Self.normalizeArchitecture)
        }
        for name in names {
            try check { () throws(SeccompError) in try Seccomp.validate(architecture: name) }
        }
        return names
    }

    private func applies(_ rule: Rule, capabilities: Set<String>, host: any BundleHost) throws(BundleError) -> Bool {
        let native = host.seccompArchitecture
        if let includes = rule.includes {
            if let caps = includes.caps, !caps.allSatisfy({ capabilities.contains(Self.normalizeCapability($0)) }) {
                return false
            }
            if let arches = includes.arches, !arches.isEmpty {
                guard let native, arches.map(Self.normalizeArchitecture).contains(native) else { return false }
            }
            if let minimum = includes.minKernel {
                guard let required = KernelVersion(minimum) else {
                    throw BundleError.invalid("seccomp: invalid minKernel \"\(minimum)\" (want MAJOR.MINOR)")
                }
                guard let running = host.kernelVersion, running >= required else { return false }
            }
        }
        if let excludes = rule.excludes {
            if let caps = excludes.caps, caps.contains(where: { capabilities.contains(Self.normalizeCapability($0)) }) {
                return false
            }
            if let arches = excludes.arches, let native, arches.map(Self.normalizeArchitecture).contains(native) {
                return false
            }
            if let maximum = excludes.minKernel {
                guard let limit = KernelVersion(maximum) else {
                    throw BundleError.invalid("seccomp: invalid minKernel \"\(maximum)\" (want MAJOR.MINOR)")
                }
                if let running = host.kernelVersion, running >= limit { return false }
            }
        }
        return true
    }

    /// `CAP_SYS_ADMIN` for `sys_admin` or `SYS_ADMIN`.
    static func normalizeCapability(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// `SCMP_ARCH_X86_64` for itself or for the Go name `amd64`.
    static func normalizeArchitecture(_ name: String) -> String {
        if name.hasPrefix("SCMP_ARCH_") { return name }
        let goNames: [String: String] = [
            "amd64": "SCMP_ARCH_X86_64", "386": "SCMP_ARCH_X86", "arm64": "SCMP_ARCH_AARCH64",
            "mips64le": "SCMP_ARCH_MIPSEL64", "mipsle": "SCMP_ARCH_MIPSEL",
        ]
        return goNames[name] ?? "SCMP_ARCH_" + name.uppercased()
    }

    private func check(_ body: () throws(SeccompError) -> Void) throws(BundleError) {
        do {
            try body()
        } catch {
            throw BundleError(error.code, "seccomp profile: \(error.message)")
        }
    }
}
