internal import CLibseccomp
import BerthErrors

extension Seccomp {
    /// Every runtime-spec architecture name libseccomp 2.5 knows, paired with
    /// the name libseccomp itself uses (`SCMP_ARCH_X86_64` ↔ `x86_64`).
    static let architectureNames: [(spec: String, libseccomp: String)] = [
        ("SCMP_ARCH_X86", "x86"), ("SCMP_ARCH_X86_64", "x86_64"), ("SCMP_ARCH_X32", "x32"),
        ("SCMP_ARCH_ARM", "arm"), ("SCMP_ARCH_AARCH64", "aarch64"),
        ("SCMP_ARCH_MIPS", "mips"), ("SCMP_ARCH_MIPS64", "mips64"), ("SCMP_ARCH_MIPS64N32", "mips64n32"),
        ("SCMP_ARCH_MIPSEL", "mipsel"), ("SCMP_ARCH_MIPSEL64", "mipsel64"),
        ("SCMP_ARCH_MIPSEL64N32", "mipsel64n32"),
        ("SCMP_ARCH_PPC", "ppc"), ("SCMP_ARCH_PPC64", "ppc64"), ("SCMP_ARCH_PPC64LE", "ppc64le"),
        ("SCMP_ARCH_S390", "s390"), ("SCMP_ARCH_S390X", "s390x"),
        ("SCMP_ARCH_PARISC", "parisc"), ("SCMP_ARCH_PARISC64", "parisc64"),
        ("SCMP_ARCH_RISCV64", "riscv64"),
    ]

    /// The compat architectures runc and Docker's default profile add for a
    /// native one, so 32-bit and x32 binaries are filtered too.
    static let compatArchitectures: [String: [String]] = [
        "SCMP_ARCH_X86_64": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "SCMP_ARCH_AARCH64": ["SCMP_ARCH_ARM"],
        "SCMP_ARCH_MIPS64": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"],
        "SCMP_ARCH_MIPS64N32": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"],
        "SCMP_ARCH_MIPSEL64": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"],
        "SCMP_ARCH_MIPSEL64N32": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"],
        "SCMP_ARCH_S390X": ["SCMP_ARCH_S390"],
    ]

    /// The native architecture as a runtime-spec name (`SCMP_ARCH_X86_64`),
    /// from `seccomp_arch_native()`; nil if libseccomp reports one this
    /// module has no name for.
    public static var nativeArchitecture: String? {
        let native = seccomp_arch_native()
        return architectureNames.first { seccomp_arch_resolve_name($0.libseccomp) == native }?.spec
    }

    /// The native architecture followed by the compat ones runc and Docker add
    /// for it (x86_64 → X86_64, X86, X32; aarch64 → AARCH64, ARM). Empty if
    /// the native architecture is unknown.
    public static var hostArchitectures: [String] {
        guard let native = nativeArchitecture else { return [] }
        return [native] + (compatArchitectures[native] ?? [])
    }

    /// The libseccomp name for a runtime-spec architecture (`SCMP_ARCH_X86_64`
    /// → `x86_64`), or nil when libseccomp does not know it.
    public static func libseccompName(forArchitecture name: String) -> String? {
        let prefix = "SCMP_ARCH_"
        guard name.hasPrefix(prefix), name.count > prefix.count else { return nil }
        let bare = name.dropFirst(prefix.count).lowercased()
        guard seccomp_arch_resolve_name(bare) != 0 else { return nil }
        return bare
    }

    /// Checks a runtime-spec architecture name (`SCMP_ARCH_X86_64`) against
    /// `seccomp_arch_resolve_name`.
    public static func validate(architecture name: String) throws(SeccompError) {
        guard libseccompName(forArchitecture: name) != nil else {
            throw SeccompError(.invalidArgument, "unknown seccomp architecture \"\(name)\"")
        }
    }
}
