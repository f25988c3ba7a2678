#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Platform {
    /// This platform in canonical form, as containerd's `platforms.Normalize`:
    ///
    /// - OS lowercased, `macos` → `darwin`;
    /// - `x86_64`/`x86-64` → `amd64` (variant `v1` is the default and dropped);
    /// - `i386` → `386`;
    /// - `aarch64` → `arm64` (variant `v8` is the default and dropped; `v9.0` → `v9`);
    /// - `armhf` → `arm/v7`, `armel` → `arm/v6`;
    /// - `arm` with no variant → `arm/v7`; numeric variants gain a `v` (`7` → `v7`);
    /// - an empty variant, OS version or feature list becomes `nil`;
    /// - OS features sorted and de-duplicated.
    public var normalized: Platform {
        var result = self
        result.os = Self.normalizeOS(os)
        (result.architecture, result.variant) = Self.normalizeArchitecture(architecture, variant: variant)
        if result.osVersion?.isEmpty == true {
            result.osVersion = nil
        }
        if let features = osFeatures {
            let unique = Array(Set(features)).sorted()
            result.osFeatures = unique.isEmpty ? nil : unique
        }
        return result
    }

    /// Canonical OS name: lowercased, `macos` → `darwin`.
    public static func normalizeOS(_ os: String) -> String {
        let lower = os.lowercased()
        return lower == "macos" ? "darwin" : lower
    }

    /// Canonical architecture and variant, as containerd's `normalizeArch`.
    /// An empty variant is returned as `nil`.
    public static func normalizeArchitecture(_ architecture: String, variant: String?) -> (String, String?) {
        var arch = architecture.lowercased()
        var variant = variant?.lowercased() ?? ""
        switch arch {
        case "i386":
            arch = "386"
            variant = ""
        case "x86_64", "x86-64", "amd64":
            arch = "amd64"
            if variant == "v1" || variant == "1" {
                variant = ""
            } else if ["2", "3", "4"].contains(variant) {
                variant = "v" + variant
            }
        case "aarch64", "arm64":
            arch = "arm64"
            switch variant {
            case "8", "v8", "v8.0": variant = ""
            case "9", "9.0", "v9.0": variant = "v9"
            default: break
            }
        case "armhf":
            arch = "arm"
            variant = "v7"
        case "armel":
            arch = "arm"
            variant = "v6"
        case "arm":
            switch variant {
            case "", "7": variant = "v7"
            case "5", "6", "8": variant = "v" + variant
            default: break
            }
        default:
            break
        }
        return (arch, variant.isEmpty ? nil : variant)
    }

    /// True for the operating systems Go knows (`GOOS` values), after normalisation.
    public static func isKnownOS(_ os: String) -> Bool {
        knownOperatingSystems.contains(os)
    }

    /// True for the architectures Go knows (`GOARCH` values), after normalisation.
    public static func isKnownArchitecture(_ architecture: String) -> Bool {
        knownArchitectures.contains(architecture)
    }

    private static let knownOperatingSystems: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
        "netbsd", "openbsd", "plan9", "solaris", "windows", "zos",
    ]

    private static let knownArchitectures: Set<String> = [
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips",
        "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x",
        "sparc", "sparc64", "wasm",
    ]
}

// MARK: - Host

extension Platform {
    /// The platform this process runs on, normalised: OS and machine from
    /// `uname(2)` (e.g. `x86_64` → `linux/amd64`, `armv7l` → `linux/arm/v7`,
    /// `aarch64` → `linux/arm64`).
    public static let host: Platform = {
        let (sysname, machine) = unameStrings() ?? (compiledOS, compiledArchitecture)
        return fromUname(sysname: sysname, machine: machine)
    }()

    /// Maps `uname` sysname and machine strings to a normalised platform.
    static func fromUname(sysname: String, machine: String) -> Platform {
        let os = normalizeOS(sysname)
        let machine = machine.lowercased()
        var arch = machine
        var variant: String?
        switch machine {
        case "x86_64", "amd64":
            arch = "amd64"
        case "i386", "i486", "i586", "i686", "x86":
            arch = "386"
        case "aarch64", "arm64", "armv8b", "aarch64_be":
            arch = machine == "aarch64_be" || machine == "armv8b" ? "arm64be" : "arm64"
        case "loongarch64":
            arch = "loong64"
        case "mips64el":
            arch = "mips64le"
        case "mipsel":
            arch = "mipsle"
        case "ppc64el":
            arch = "ppc64le"
        default:
            // armv5tel, armv6l, armv7l, armv8l, ...: 32-bit ARM; the digit is the variant.
            if machine.hasPrefix("armv"), let digit = machine.dropFirst(4).first, digit.isNumber {
                arch = "arm"
                variant = "v\(digit)"
            } else if machine == "arm" {
                arch = "arm"
            }
        }
        return Platform(os: os, architecture: arch, variant: variant).normalized
    }

    private static func unameStrings() -> (String, String)? {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
            var name = utsname()
            guard uname(&name) == 0 else { return nil }
            let sysname = withUnsafeBytes(of: &name.sysname) { cString($0) }
            let machine = withUnsafeBytes(of: &name.machine) { cString($0) }
            return (sysname, machine)
        #else
            return nil
        #endif
    }

    private static func cString(_ buffer: UnsafeRawBufferPointer) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    private static var compiledOS: String {
        #if os(Linux)
            "linux"
        #elseif os(macOS)
            "darwin"
        #elseif os(Windows)
            "windows"
        #else
            "unknown"
        #endif
    }

    private static var compiledArchitecture: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #elseif arch(i386)
            "386"
        #elseif arch(arm)
            "arm"
        #elseif arch(powerpc64le)
            "ppc64le"
        #elseif arch(s390x)
            "s390x"
        #elseif arch(riscv64)
            "riscv64"
        #else
            "unknown"
        #endif
    }
}
