/// Decides which platforms can run on a target platform and ranks them, as
/// containerd's `platforms.Only` (or `platforms.OnlyStrict` when `strict`).
///
/// The matcher expands the target into an ordered list of compatible
/// platforms, best first:
///
/// - `arm/vN` also runs `arm/vN-1` … `arm/v5` (e.g. `arm/v8`: v8 > v7 > v6 > v5);
/// - `arm64/v8.x` also runs `arm64/v8.x-1` … `arm64/v8`; `arm64/v9.x` runs
///   `arm64/v9.x-1` … `arm64/v9`, then `arm64/v8.{x+5}` … `arm64/v8`;
///   every `arm64` then runs `arm/v8` … `arm/v5`;
/// - `amd64/vN` also runs `amd64/vN-1` … `amd64` (v1), then `386`.
///
/// A platform matches if its normalised OS, architecture and variant equal one
/// of those entries, its OS features are a subset of the target's, and (for
/// Windows, when both sides give one) its OS version has the same
/// major.minor.build.
public struct PlatformMatcher: Sendable {
    /// The normalised target platform.
    public let platform: Platform
    /// The compatible platforms, best first. The first entry is `platform`.
    public let candidates: [Platform]

    /// A matcher for `platform` and, unless `strict`, the older variants it can run.
    public init(_ platform: Platform, strict: Bool = false) {
        let normalized = platform.normalized
        self.platform = normalized
        self.candidates = strict ? [normalized] : Self.vector(normalized).map(\.normalized)
    }

    /// A matcher for the host platform.
    public static var host: PlatformMatcher { PlatformMatcher(.host) }

    /// True if content built for `candidate` can run on the target platform.
    public func matches(_ candidate: Platform) -> Bool {
        rank(candidate) != nil
    }

    /// True if the descriptor's platform matches. A descriptor without a
    /// platform matches (as in containerd's manifest selection): it makes no claim.
    public func matches(_ descriptor: Descriptor) -> Bool {
        descriptor.platform.map(matches) ?? true
    }

    /// The position of the best candidate `platform` matches (0 is an exact
    /// match), or `nil` if it does not match at all.
    public func rank(_ platform: Platform) -> Int? {
        let normalized = platform.normalized
        return candidates.firstIndex { Self.matches(target: $0, candidate: normalized) }
    }

    /// Best-match ordering: true if `lhs` is a strictly better match than `rhs`.
    /// A matching platform is better than a non-matching one.
    public func less(_ lhs: Platform, _ rhs: Platform) -> Bool {
        (rank(lhs) ?? Int.max) < (rank(rhs) ?? Int.max)
    }

    /// Best-match ordering of descriptors: by platform rank, with descriptors
    /// that have no platform after every matching one.
    public func less(_ lhs: Descriptor, _ rhs: Descriptor) -> Bool {
        descriptorRank(lhs) < descriptorRank(rhs)
    }

    /// The platforms sorted best match first; non-matching ones last. Stable.
    public func sorted(_ platforms: [Platform]) -> [Platform] {
        stableSorted(platforms) { rank($0) ?? Int.max }
    }

    /// The descriptors sorted best match first, then those without a platform,
    /// then non-matching ones. Stable.
    public func sorted(_ descriptors: [Descriptor]) -> [Descriptor] {
        stableSorted(descriptors, by: descriptorRank)
    }

    /// Sorts `platforms` in place, best match first. Stable.
    public func sort(_ platforms: inout [Platform]) {
        platforms = sorted(platforms)
    }

    /// Sorts `descriptors` in place, best match first. Stable.
    public func sort(_ descriptors: inout [Descriptor]) {
        descriptors = sorted(descriptors)
    }

    /// The matching descriptors, best match first.
    public func filter(_ descriptors: [Descriptor]) -> [Descriptor] {
        sorted(descriptors.filter(matches))
    }

    /// The best matching descriptor, or `nil` if none match.
    public func bestMatch(in descriptors: [Descriptor]) -> Descriptor? {
        filter(descriptors).first
    }

    // MARK: Internals

    private func descriptorRank(_ descriptor: Descriptor) -> Int {
        guard let platform = descriptor.platform else { return candidates.count }
        return rank(platform) ?? Int.max
    }

    private func stableSorted<T>(_ items: [T], by key: (T) -> Int) -> [T] {
        items.enumerated()
            .map { (key: key($0.element), offset: $0.offset, element: $0.element) }
            .sorted { ($0.key, $0.offset) < ($1.key, $1.offset) }
            .map(\.element)
    }

    private static func matches(target: Platform, candidate: Platform) -> Bool {
        guard target.os == candidate.os, target.architecture == candidate.architecture,
            target.variant == candidate.variant
        else { return false }
        if target.os == "windows", let want = target.osVersion, let have = candidate.osVersion,
            windowsBuild(want) != windowsBuild(have)
        {
            return false
        }
        let available = Set(target.osFeatures ?? [])
        return (candidate.osFeatures ?? []).allSatisfy(available.contains)
    }

    /// `major.minor.build` of a Windows version string such as `10.0.17763.1879`.
    private static func windowsBuild(_ version: String) -> ArraySlice<Substring> {
        version.split(separator: ".", omittingEmptySubsequences: false).prefix(3)
    }

    /// containerd's `platformVector`: the target and the platforms it can run, best first.
    private static func vector(_ platform: Platform) -> [Platform] {
        var vector = [platform]
        func add(_ architecture: String, _ variant: String?) {
            var entry = platform
            entry.architecture = architecture
            entry.variant = variant
            vector.append(entry)
        }
        switch platform.architecture {
        case "amd64":
            if let level = versionNumber(platform.variant), level > 1 {
                for lower in stride(from: level - 1, through: 1, by: -1) {
                    add("amd64", "v\(lower)")
                }
            }
            add("386", nil)
        case "arm":
            if let level = versionNumber(platform.variant), level > 5 {
                for lower in stride(from: level - 1, through: 5, by: -1) {
                    add("arm", "v\(lower)")
                }
            }
        case "arm64":
            let variant = platform.variant ?? "v8"
            let (major, minor) = armVersion(variant)
            if let major, major >= 8 {
                var minor = minor
                var major = major
                if major == 9 {
                    for lower in stride(from: minor - 1, through: 0, by: -1) {
                        add("arm64", lower == 0 ? "v9" : "v9.\(lower)")
                    }
                    // v9.0 diverged from v8.5, so v9.x is compatible with v8.(x+5).
                    minor += 5
                    major = 8
                    add("arm64", "v8.\(minor)")
                }
                for lower in stride(from: minor - 1, through: 0, by: -1) {
                    add("arm64", lower == 0 ? "v\(major)" : "v\(major).\(lower)")
                }
            }
            var arm = platform
            arm.architecture = "arm"
            arm.variant = variant.hasPrefix("v8.") || variant.hasPrefix("v9") ? "v8" : variant
            vector += Self.vector(arm)
        default:
            break
        }
        return vector
    }

    /// `v7` → 7; nil if not `v<integer>`.
    private static func versionNumber(_ variant: String?) -> Int? {
        guard let variant, variant.hasPrefix("v") else { return nil }
        return Int(variant.dropFirst())
    }

    /// `v8.2` → (8, 2); `v9` → (9, 0).
    private static func armVersion(_ variant: String) -> (major: Int?, minor: Int) {
        guard variant.hasPrefix("v") else { return (nil, 0) }
        let parts = variant.dropFirst().split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let major = parts.first.flatMap { Int($0) }
        let minor = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        return (major, minor)
    }
}

extension Platform {
    /// The matcher type, as `Platform.Matcher`.
    public typealias Matcher = PlatformMatcher
}
