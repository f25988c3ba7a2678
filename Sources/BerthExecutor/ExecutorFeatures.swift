/// What an executor supports, for the verbs whose support differs.
///
/// `runc features` and `crun features` print the OCI features document
/// (``featuresArguments``); runsc has no such command, and none of the three
/// documents reports the verb-level differences below, so this table is
/// the source of truth (checked against Debian 12's binaries):
///
/// | | runc 1.1.5 | crun 1.8.1 | runsc 2022-12 |
/// |---|---|---|---|
/// | `features` | yes (experimental) | yes | no |
/// | `update --resources` | yes | yes | no |
/// | `pause` / `resume` | yes | yes | yes |
/// | `ps --format json` | yes | yes | yes |
/// | `kill --all` | yes | yes | yes |
/// | `exec --detach --pid-file` | yes | yes | yes |
/// | `--console-socket` | yes | yes | yes |
/// | exec pid file holds the process itself | yes | yes | no: `runsc exec`'s proxy; `--internal-pid-file`, `kill --pid` |
public struct ExecutorFeatures: Sendable, Equatable {
    /// The executor has a `features` command.
    public var hasFeaturesCommand: Bool
    /// `update --resources FILE ID` works.
    public var canUpdate: Bool
    /// `pause` and `resume` work.
    public var canPause: Bool
    /// `kill --all` works.
    public var canKillAll: Bool
    /// An exec's `--pid-file` names a host process standing in for it (runsc:
    /// `runsc exec --detach` stays as a proxy that exits with the sandboxed
    /// process's status). Signalling the proxy's pid does not reach the
    /// process, so the exec is signalled with `kill --pid INTERNAL ID SIG`,
    /// the pid inside the sandbox from `--internal-pid-file`, which is also
    /// the pid `ps` lists.
    public var execsHaveInternalPIDs: Bool = false

    /// The table row for `dialect`.
    public static func table(for dialect: ExecutorDialect) -> ExecutorFeatures {
        switch dialect {
        case .runc, .crun:
            ExecutorFeatures(hasFeaturesCommand: true, canUpdate: true, canPause: true, canKillAll: true)
        case .runsc:
            ExecutorFeatures(
                hasFeaturesCommand: false, canUpdate: false, canPause: true, canKillAll: true,
                execsHaveInternalPIDs: true)
        }
    }
}
