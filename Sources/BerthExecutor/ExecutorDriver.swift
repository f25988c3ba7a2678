/// Pure argv builders for one executor dialect.
///
/// Every command is `BINARY GLOBAL… VERB ARGS…`; nothing here runs anything,
/// so argv can be checked exactly in tests. ``Executor`` runs them.
public struct ExecutorDriver: Sendable, Equatable {
    /// The configuration the argv is built from.
    public var configuration: ExecutorConfiguration

    public init(configuration: ExecutorConfiguration) {
        self.configuration = configuration
    }

    /// What the dialect supports.
    public var features: ExecutorFeatures { .table(for: configuration.dialect) }

    /// argv[0] and the global flags.
    public var globalArguments: [String] {
        var argv = [configuration.binary, "--root", configuration.root]
        if let log = configuration.logPath {
            argv += ["--log", log, "--log-format", "json"]
        }
        if configuration.systemdCgroup {
            argv.append("--systemd-cgroup")
        }
        return argv + configuration.extraGlobalArguments
    }

    /// `create --bundle B --pid-file P [--console-socket S] [--no-pivot] [--no-new-keyring] ID`.
    public func create(
        id: String, bundle: String, pidFile: String, consoleSocket: String? = nil, noPivot: Bool = false,
        noNewKeyring: Bool = false
    ) -> [String] {
        var argv = globalArguments + ["create", "--bundle", bundle, "--pid-file", pidFile]
        if let consoleSocket { argv += ["--console-socket", consoleSocket] }
        if noPivot { argv.append("--no-pivot") }
        if noNewKeyring { argv.append("--no-new-keyring") }
        return argv + [id]
    }

    /// `start ID`.
    public func start(id: String) -> [String] {
        globalArguments + ["start", id]
    }

    /// `exec --detach --pid-file P [--internal-pid-file I] --process F [--console-socket S] ID`;
    /// the internal pid file only where ``ExecutorFeatures/execsHaveInternalPIDs``.
    public func exec(
        id: String, processFile: String, pidFile: String, consoleSocket: String? = nil,
        internalPIDFile: String? = nil
    ) -> [String] {
        var argv = globalArguments + ["exec", "--detach", "--pid-file", pidFile]
        if let internalPIDFile, features.execsHaveInternalPIDs { argv += ["--internal-pid-file", internalPIDFile] }
        argv += ["--process", processFile]
        if let consoleSocket { argv += ["--console-socket", consoleSocket] }
        return argv + [id]
    }

    /// `kill [--all] [--pid P] ID SIGNAL`; `--pid` (runsc) names one process
    /// inside the container.
    public func kill(id: String, signal: UInt32, all: Bool, pid: Int32? = nil) -> [String] {
        globalArguments + ["kill"] + (all ? ["--all"] : []) + (pid.map { ["--pid", String($0)] } ?? [])
            + [id, String(signal)]
    }

    /// `delete [--force] ID`.
    public func delete(id: String, force: Bool) -> [String] {
        globalArguments + ["delete"] + (force ? ["--force"] : []) + [id]
    }

    /// `state ID`.
    public func state(id: String) -> [String] {
        globalArguments + ["state", id]
    }

    /// `pause ID`.
    public func pause(id: String) -> [String] {
        globalArguments + ["pause", id]
    }

    /// `resume ID`.
    public func resume(id: String) -> [String] {
        globalArguments + ["resume", id]
    }

    /// `ps --format json ID`.
    public func ps(id: String) -> [String] {
        globalArguments + ["ps", "--format", "json", id]
    }

    /// `update --resources FILE ID`, or nil where unsupported.
    public func update(id: String, resourcesFile: String) -> [String]? {
        guard features.canUpdate else { return nil }
        return globalArguments + ["update", "--resources", resourcesFile, id]
    }

    /// `features`, or nil where the executor has none.
    public var featuresArguments: [String]? {
        features.hasFeaturesCommand ? [configuration.binary, "features"] : nil
    }
}
