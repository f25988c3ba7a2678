// Static features for executors that have no `features` command.
//
// `runc features` (runc ≥ 1.1) prints the runtime-spec features.json, and
// Berth runs it. gVisor's `runsc` has no such command, nor has older crun
// (crun 1.8.1, Debian 12's, answers "unknown command features"), so for those
// `berth system info` falls back to this table; a crun whose `features`
// command works is reported from that instead. It records only what the
// executor's own documentation and flags establish; anything not known for
// certain is left nil, which the report shows as "not reported", never as
// "unsupported". The OCI version maximum is taken from the `spec:` line the
// executor prints with `--version`, and crun's seccomp, AppArmor and SELinux
// flags from the `+SECCOMP`/`+APPARMOR`/`+SELINUX` build flags it prints there.
//
// runsc (gVisor, checked against release 20221219):
// - hooks: prestart, poststart and poststop are run by runsc itself.
// - cgroups: v1 and v2; systemd through the experimental `--systemd-cgroup` flag.
// - seccomp: the OCI profile is ignored unless runsc runs with `--oci-seccomp`,
//   because the gVisor kernel, not the host's, serves the container's syscalls;
//   so it is reported as not enabled.
// - AppArmor and SELinux profiles are not applied inside the sandbox.
//
// crun (versions without `features`):
// - hooks: all six runtime-spec hooks.
// - namespaces: cgroup, ipc, mount, network, pid, user, uts.
// - cgroups: v1, v2 and systemd.

extension ExecutorFeatures {
    /// The static entry for executor `name`, completed from the output of its
    /// `--version`; nil when the table has no entry for it.
    public static func staticTable(for name: String, versionOutput: String) -> ExecutorFeatures? {
        let specVersion = specLine(in: versionOutput)
        switch name {
        case "runsc":
            return ExecutorFeatures(
                ociVersionMax: specVersion,
                hooks: ["prestart", "poststart", "poststop"],
                linux: Linux(
                    cgroup: Cgroup(v1: true, v2: true, systemd: true),
                    seccomp: Seccomp(enabled: false),
                    apparmor: Toggle(enabled: false),
                    selinux: Toggle(enabled: false)
                )
            )
        case "crun":
            let flags = buildFlags(in: versionOutput)
            return ExecutorFeatures(
                ociVersionMax: specVersion,
                hooks: [
                    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
                ],
                linux: Linux(
                    namespaces: ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
                    cgroup: Cgroup(v1: true, v2: true, systemd: true),
                    seccomp: Seccomp(enabled: flags.map { $0.contains("SECCOMP") }),
                    apparmor: Toggle(enabled: flags.map { $0.contains("APPARMOR") }),
                    selinux: Toggle(enabled: flags.map { $0.contains("SELINUX") })
                )
            )
        default:
            return nil
        }
    }

    /// The value of a `spec: 1.0.2-dev` line.
    static func specLine(in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("spec:") {
                let value = trimmed.dropFirst("spec:".count).trimmingSpaces()
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// crun's `+SECCOMP +APPARMOR -SELINUX …` line as the set of enabled flags;
    /// nil when there is no such line.
    static func buildFlags(in output: String) -> Set<String>? {
        for line in output.split(separator: "\n") where line.hasPrefix("+") || line.hasPrefix("-") {
            let words = line.split(separator: " ")
            guard words.allSatisfy({ $0.hasPrefix("+") || $0.hasPrefix("-") }) else { continue }
            return Set(words.filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) })
        }
        return nil
    }
}
