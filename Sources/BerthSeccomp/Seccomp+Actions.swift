import BerthErrors
extension Seccomp {
    /// Every action the runtime spec defines, with the libseccomp API level it
    /// needs.
    static let actionLevels: [(name: String, apiLevel: Int)] = [
        ("SCMP_ACT_KILL", 1), ("SCMP_ACT_KILL_PROCESS", 3), ("SCMP_ACT_KILL_THREAD", 1),
        ("SCMP_ACT_TRAP", 1), ("SCMP_ACT_ERRNO", 1), ("SCMP_ACT_TRACE", 1),
        ("SCMP_ACT_ALLOW", 1), ("SCMP_ACT_LOG", 3), ("SCMP_ACT_NOTIFY", 5),
    ]

    /// Every comparison operator the runtime spec defines.
    public static let operators: [String] = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]

    /// Every action name the runtime spec defines.
    public static var actions: [String] { actionLevels.map(\.name) }

    /// The actions this libseccomp on this kernel can apply, judged from
    /// ``apiLevel``.
    public static var supportedActions: [String] {
        let level = apiLevel
        return actionLevels.filter { $0.apiLevel <= level }.map(\.name)
    }

    /// Whether this libseccomp on this kernel can apply `action`.
    public static func isSupported(action: String) -> Bool {
        supportedActions.contains(action)
    }

    /// Checks that `action` is a runtime-spec action name (`SCMP_ACT_ERRNO`).
    /// It does not check host support; see ``isSupported(action:)``.
    public static func validate(action: String) throws(SeccompError) {
        guard actionLevels.contains(where: { $0.name == action }) else {
            throw SeccompError(.invalidArgument, "unknown seccomp action \"\(action)\"")
        }
    }

    /// Checks that `op` is a runtime-spec comparison operator (`SCMP_CMP_EQ`).
    public static func validate(operator op: String) throws(SeccompError) {
        guard operators.contains(op) else {
            throw SeccompError(.invalidArgument, "unknown seccomp operator \"\(op)\"")
        }
    }
}
