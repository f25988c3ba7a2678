/// How to run one executor: which binary, where its state lives, and the
/// global flags every command gets.
public struct ExecutorConfiguration: Sendable, Equatable {
    /// The command-line dialect.
    public var dialect: ExecutorDialect
    /// The binary: an absolute path, or a name looked up in `PATH`.
    public var binary: String
    /// The executor's state directory (`--root`).
    public var root: String
    /// Extra global arguments, placed before the verb.
    public var extraGlobalArguments: [String]
    /// Use the systemd cgroup driver (`--systemd-cgroup`).
    public var systemdCgroup: Bool
    /// Where the executor writes its JSON log (`--log`, `--log-format json`);
    /// its last error line explains a failure. Nil for none.
    public var logPath: String?

    /// Makes a configuration; `binary` defaults to the dialect's name.
    public init(
        dialect: ExecutorDialect,
        binary: String? = nil,
        root: String,
        extraGlobalArguments: [String] = [],
        systemdCgroup: Bool = false,
        logPath: String? = nil
    ) {
        self.dialect = dialect
        self.binary = binary.flatMap { $0.isEmpty ? nil : $0 } ?? dialect.rawValue
        self.root = root
        self.extraGlobalArguments = extraGlobalArguments
        self.systemdCgroup = systemdCgroup
        self.logPath = logPath
    }
}
