extension SystemInfo {
    /// The report as aligned `Key: value` lines under section headings
    /// (Berth, Host, Executors, Cgroups, Seccomp, Capabilities, BPF, Storage).
    public func renderText() -> String {
        TextReport(sections: [
            .init(
                title: "Berth",
                rows: [
                    .field("Version", berth.version),
                    .field("OCI runtime spec", berth.ociRuntimeSpecVersion),
                ]),
            .init(title: "Host", rows: hostRows),
            .init(title: "Executors", rows: executors.isEmpty ? [.field("Found", "none")] : executors.map(\.row)),
            .init(title: "Cgroups", rows: cgroupRows),
            .init(
                title: "Seccomp",
                rows: [
                    .field("Library version", seccomp.libraryVersion),
                    .field("API level", "\(seccomp.apiLevel)"),
                    .field("Native architecture", seccomp.nativeArchitecture ?? "unknown"),
                    .field("Architectures", list(seccomp.architectures)),
                    .field("Supported actions", list(seccomp.supportedActions)),
                ]),
            .init(
                title: "Capabilities",
                rows: [
                    .field(
                        "Bounding set",
                        "\(capabilities.boundingSet.count) of \(capabilities.kernelCount) the kernel supports"),
                    .field("Missing", list(capabilities.missingFromBoundingSet)),
                    .field("Names", list(capabilities.boundingSet)),
                ]),
            .init(title: "BPF", rows: bpfRows),
            .init(
                title: "Storage",
                rows: [
                    .field("Default snapshotter", storage.defaultSnapshotter),
                    .field("Overlay filesystem", storage.overlayAvailable ? "available" : "not in /proc/filesystems"),
                ]),
        ]).render()
    }

    private var hostRows: [TextReport.Row] {
        [
            .field("Kernel", "\(host.kernelName) \(host.kernelRelease) (\(host.architecture))"),
            .field("Kernel build", host.kernelVersion),
            .field("Operating system", host.operatingSystem ?? "unknown"),
            .field("CPUs", "\(host.cpus)"),
            .field("Memory", host.memoryBytes.map(formatBytes) ?? "unknown"),
        ]
    }

    private var cgroupRows: [TextReport.Row] {
        [
            .field("Mode", cgroups.mode?.rawValue ?? "unknown"),
            .field("v2 mount", cgroups.v2MountPoint ?? "none"),
            .field("v2 controllers", list(cgroups.v2Controllers)),
            .field("v1 controllers", list(cgroups.v1Controllers)),
        ]
    }

    private var bpfRows: [TextReport.Row] {
        var rows: [TextReport.Row] = [
            .field("libbpf version", bpf.libbpfVersion),
            .field("Cgroup device programs", bpf.cgroupDevice),
        ]
        if let error = bpf.cgroupDeviceError {
            rows.append(.field("Probe error", error))
        }
        return rows
    }
}

extension ExecutorInfo {
    /// This executor as a group of report rows.
    fileprivate var row: TextReport.Row {
        var rows: [TextReport.Row] = [
            .field("Path", path),
            .field("Version", version ?? "unknown"),
        ]
        switch featuresSource {
        case .executor: rows.append(.field("Features from", "`\(name) features`"))
        case .staticTable: rows.append(.field("Features from", "Berth's static table"))
        case nil: rows.append(.field("Features from", "not available"))
        }
        if let features { rows += features.rows }
        rows += warnings.map { .field("Warning", $0) }
        return .group(name, rows)
    }
}

extension ExecutorFeatures {
    /// The features worth a line in a bug report.
    fileprivate var rows: [TextReport.Row] {
        var rows: [TextReport.Row] = []
        switch (ociVersionMin, ociVersionMax) {
        case (let min?, let max?): rows.append(.field("OCI versions", "\(min) to \(max)"))
        case (nil, let max?): rows.append(.field("OCI versions", "up to \(max)"))
        case (let min?, nil): rows.append(.field("OCI versions", "from \(min)"))
        case (nil, nil): break
        }
        if let hooks { rows.append(.field("Hooks", list(hooks))) }
        if let mountOptions { rows.append(.field("Mount options", "\(mountOptions.count)")) }
        if let namespaces = linux?.namespaces { rows.append(.field("Namespaces", list(namespaces))) }
        if let capabilities = linux?.capabilities { rows.append(.field("Capabilities", "\(capabilities.count)")) }
        if let cgroup = linux?.cgroup {
            let drivers = [("v1", cgroup.v1), ("v2", cgroup.v2), ("systemd", cgroup.systemd)]
            rows.append(.field("Cgroups", drivers.map { "\($0.0) \(yesNo($0.1))" }.joined(separator: ", ")))
        }
        if let seccomp = linux?.seccomp {
            var text = yesNo(seccomp.enabled)
            if let actions = seccomp.actions { text += ", \(actions.count) actions" }
            if let archs = seccomp.archs { text += ", \(archs.count) architectures" }
            rows.append(.field("Seccomp", text))
        }
        if let apparmor = linux?.apparmor { rows.append(.field("AppArmor", yesNo(apparmor.enabled))) }
        if let selinux = linux?.selinux { rows.append(.field("SELinux", yesNo(selinux.enabled))) }
        return rows
    }
}

/// `a, b, c`, or `none`.
private func list(_ items: [String]) -> String {
    items.isEmpty ? "none" : items.joined(separator: ", ")
}

/// `yes`, `no`, or `not reported`.
private func yesNo(_ value: Bool?) -> String {
    value.map { $0 ? "yes" : "no" } ?? "not reported"
}

/// Bytes in GiB (or MiB below 1 GiB), one decimal.
private func formatBytes(_ bytes: UInt64) -> String {
    let mebibytes = Double(bytes) / 1_048_576
    if mebibytes < 1024 { return "\(Double(Int(mebibytes * 10)) / 10) MiB" }
    return "\(Double(Int(mebibytes / 1024 * 10)) / 10) GiB"
}
