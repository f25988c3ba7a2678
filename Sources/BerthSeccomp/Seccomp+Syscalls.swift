internal import CLibseccomp
public import Logging

extension Seccomp {
    /// The number of syscall `name` on the native architecture, or nil when
    /// libseccomp does not know the name (`__NR_SCMP_ERROR`).
    ///
    /// A syscall libseccomp knows but the native architecture lacks (such as
    /// `socketcall` on x86_64) resolves to a negative pseudo-number; it is
    /// still a known name, because a filter covering compat architectures
    /// needs it, and runc keeps it too.
    public static func resolve(syscall name: String) -> Int32? {
        let number = seccomp_syscall_resolve_name_arch(seccomp_arch_native(), name)
        return number == scmpError ? nil : number
    }

    /// Splits syscall names into those libseccomp knows and those it does
    /// not, each in input order.
    public static func partition(syscallNames names: [String]) -> (known: [String], unknown: [String]) {
        var known: [String] = []
        var unknown: [String] = []
        for name in names {
            if resolve(syscall: name) == nil {
                unknown.append(name)
            } else {
                known.append(name)
            }
        }
        return (known, unknown)
    }

    /// Drops the syscall names libseccomp does not know, logging a warning
    /// for each, as runc does when it loads a profile written for a newer
    /// kernel.
    public static func filterKnown(_ names: [String], logger: Logger) -> [String] {
        let (known, unknown) = partition(syscallNames: names)
        for name in unknown {
            logger.warning("ignoring unknown seccomp syscall", metadata: ["syscall": "\(name)"])
        }
        return known
    }

    /// libseccomp's `__NR_SCMP_ERROR`, which Swift does not import.
    static let scmpError: Int32 = -1
}
