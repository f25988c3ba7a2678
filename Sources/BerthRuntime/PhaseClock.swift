import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Durations of the phases of one operation, in microseconds, for the debug
/// log (where `berth bench`-style breakdowns start).
struct PhaseClock {
    private var last = PhaseClock.now()
    private(set) var phases: [(name: String, microseconds: Int64)] = []

    /// Ends the phase `name` now.
    mutating func mark(_ name: String) {
        let now = Self.now()
        phases.append((name, now - last))
        last = now
    }

    /// The phases as log metadata (`<name>_us`), added to `base`.
    func metadata(_ base: Logger.Metadata) -> Logger.Metadata {
        var metadata = base
        for phase in phases { metadata[phase.name + "_us"] = "\(phase.microseconds)" }
        return metadata
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
