/// The command-line dialects of the OCI executors Berth drives.
///
/// The three share the runc verbs (`create`, `start`, `exec`, `kill`,
/// `delete`, `state`, `pause`, `resume`, `ps`, `update`) and global flags
/// (`--root`, `--log`, `--log-format`, `--systemd-cgroup`); they differ in
/// what they support (``ExecutorFeatures``) and in quirks
/// (``ExecutorQuirks``).
public enum ExecutorDialect: String, Sendable, CaseIterable {
    /// runc (Debian's 1.1.5).
    case runc
    /// crun (Debian's 1.8.1).
    case crun
    /// runsc, gVisor (Debian's 2022-12 snapshot).
    case runsc

    /// The dialect of a binary name or path as containerd's runc `Options`
    /// carry it: `crun` and `runsc` by their base name, anything else
    /// (including empty) speaks runc.
    public init(binaryName: String) {
        let base = binaryName.split(separator: "/").last.map(String.init) ?? binaryName
        if base.hasPrefix("crun") {
            self = .crun
        } else if base.hasPrefix("runsc") {
            self = .runsc
        } else {
            self = .runc
        }
    }
}
