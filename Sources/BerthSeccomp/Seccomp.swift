internal import CLibseccomp

/// What libseccomp and the running kernel offer, and validation of the
/// names an OCI runtime-spec seccomp profile uses.
public enum Seccomp {
    /// The libseccomp API level (`seccomp_api_get`), which reflects both the
    /// library and the running kernel: 3 adds `SCMP_ACT_LOG` and
    /// `SCMP_ACT_KILL_PROCESS`, 5 adds `SCMP_ACT_NOTIFY`.
    public static var apiLevel: Int { Int(seccomp_api_get()) }

    /// The version of the libseccomp loaded at run time, such as `"2.5.4"`.
    public static var libraryVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        let value = version.pointee
        return "\(value.major).\(value.minor).\(value.micro)"
    }
}
