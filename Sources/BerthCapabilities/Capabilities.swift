internal import CLibcap

/// Facts about the capabilities of the running kernel and of this process.
public enum Capabilities {
    /// Every capability the running kernel supports (`0..<cap_max_bits()`),
    /// in number order. A container holding all of these is "privileged".
    public static var supportedByKernel: [Capability] {
        let count = max(0, cap_max_bits())
        return (0..<count).compactMap { Capability(value: $0) }
    }

    /// Same as ``supportedByKernel``: the set `--privileged` grants.
    public static var all: [Capability] { supportedByKernel }

    /// The bounding set of this process (normally the host's), in number order.
    ///
    /// Read with `cap_get_bound` (`prctl(PR_CAPBSET_READ)`) per capability. A
    /// process can never gain a capability outside it, so neither can a
    /// container started from here.
    public static func boundingSet() -> [Capability] {
        supportedByKernel.filter { cap_get_bound($0.value) == 1 }
    }
}
