import BerthErrors
import BerthOCI
import Foundation
import Testing

@Suite("Platform")
struct PlatformTests {
    private static func p(_ specifier: String) -> Platform {
        guard let platform = Platform(specifier) else {
            Issue.record("cannot parse \(specifier)")
            return Platform(os: "invalid", architecture: "invalid")
        }
        return platform
    }

    // MARK: Parsing and normalisation

    /// (specifier, os, architecture, variant) after parsing, which normalises.
    static let parsed: [(String, String, String, String?)] = [
        ("linux/amd64", "linux", "amd64", nil),
        ("linux/x86_64", "linux", "amd64", nil),
        ("linux/x86-64", "linux", "amd64", nil),
        ("Linux/AMD64", "linux", "amd64", nil),
        ("linux/amd64/v1", "linux", "amd64", nil),
        ("linux/amd64/v3", "linux", "amd64", "v3"),
        ("linux/i386", "linux", "386", nil),
        ("linux/386", "linux", "386", nil),
        ("linux/aarch64", "linux", "arm64", nil),
        ("linux/arm64", "linux", "arm64", nil),
        ("linux/arm64/v8", "linux", "arm64", nil),
        ("linux/arm64/8", "linux", "arm64", nil),
        ("linux/aarch64/v8", "linux", "arm64", nil),
        ("linux/arm64/v8.2", "linux", "arm64", "v8.2"),
        ("linux/arm64/v9.0", "linux", "arm64", "v9"),
        ("linux/arm", "linux", "arm", "v7"),
        ("linux/arm/v7", "linux", "arm", "v7"),
        ("linux/arm/7", "linux", "arm", "v7"),
        ("linux/arm/v6", "linux", "arm", "v6"),
        ("linux/arm/5", "linux", "arm", "v5"),
        ("linux/arm/v8", "linux", "arm", "v8"),
        ("linux/armhf", "linux", "arm", "v7"),
        ("linux/armel", "linux", "arm", "v6"),
        ("linux/ppc64le", "linux", "ppc64le", nil),
        ("linux/s390x", "linux", "s390x", nil),
        ("linux/riscv64", "linux", "riscv64", nil),
        ("windows/amd64", "windows", "amd64", nil),
        ("macos/arm64", "darwin", "arm64", nil),
        ("darwin/arm64", "darwin", "arm64", nil),
        ("freebsd/amd64", "freebsd", "amd64", nil),
        ("arm64", "linux", "arm64", nil),
        ("aarch64", "linux", "arm64", nil),
        ("amd64", "linux", "amd64", nil),
        ("armhf", "linux", "arm", "v7"),
        ("arm", "linux", "arm", "v7"),
        ("s390x", "linux", "s390x", nil),
        ("someos/somearch", "someos", "somearch", nil),
    ]

    @Test("parsing normalises like containerd", arguments: parsed)
    func parse(_ specifier: String, os: String, architecture: String, variant: String?) throws {
        let platform = try Platform(parsing: specifier)
        #expect(platform.os == os)
        #expect(platform.architecture == architecture)
        #expect(platform.variant == variant)
        #expect(platform.osVersion == nil)
        #expect(platform.osFeatures == nil)
        #expect(platform.normalized == platform)
    }

    @Test("a lone OS takes the host architecture")
    func loneOS() throws {
        let platform = try Platform(parsing: "linux")
        #expect(platform.os == "linux")
        #expect(platform.architecture == Platform.host.architecture)
        #expect(platform.variant == Platform.host.variant)
        #expect(try Platform(parsing: "windows").os == "windows")
    }

    @Test("default variants compare equal after parsing")
    func defaultVariants() {
        #expect(Self.p("linux/arm64/v8") == Self.p("linux/arm64"))
        #expect(Self.p("linux/aarch64") == Self.p("linux/arm64/v8"))
        #expect(Self.p("linux/arm") == Self.p("linux/arm/v7"))
        #expect(Self.p("linux/amd64/v1") == Self.p("linux/amd64"))
        #expect(Self.p("linux/arm/v6") != Self.p("linux/arm/v7"))
        #expect(Self.p("linux/amd64/v2") != Self.p("linux/amd64"))
    }

    @Test("OS version and features in the OS component")
    func osOptions() throws {
        let version = try Platform(parsing: "windows(10.0.17763)/amd64")
        #expect(version.os == "windows")
        #expect(version.osVersion == "10.0.17763")
        #expect(version.osFeatures == nil)

        let features = try Platform(parsing: "windows(10.0.20348.2402+win32k+a%2Bb)/amd64")
        #expect(features.osVersion == "10.0.20348.2402")
        #expect(features.osFeatures == ["a+b", "win32k"])
        #expect(features.description == "windows/amd64")
        #expect(features.fullDescription == "windows(10.0.20348.2402+a%2Bb+win32k)/amd64")
        #expect(try Platform(parsing: features.fullDescription) == features)

        let featuresOnly = try Platform(parsing: "linux(+gpu)/arm64")
        #expect(featuresOnly.osVersion == nil)
        #expect(featuresOnly.osFeatures == ["gpu"])
    }

    static let invalidSpecifiers = [
        "", "/", "linux/", "/amd64", "linux//v7", "linux/amd64/", "linux/amd64/v3/extra", "linux/*", "*",
        "notanos", "linux/am d64", "linux/amd64/v@", "lin ux/amd64", "linux(/amd64", "linux(1.0/amd64",
        "linux(1 0)/amd64", "linux(%zz)/amd64", "(1.0)/amd64", "linux/amd64\n",
    ]

    @Test("invalid specifiers are rejected with a message naming them", arguments: invalidSpecifiers)
    func rejectsInvalid(_ specifier: String) throws {
        let error = try #require(throws: OCIError.self) { try Platform(parsing: specifier) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("platform \"\(specifier)\""), "message: \(error.message)")
        #expect(Platform(specifier) == nil)
    }

    /// (specifier, formatted).
    static let formatted: [(String, String)] = [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/x86_64/v3", "linux/amd64/v3"),
        ("windows/amd64", "windows/amd64"),
        ("windows(10.0.17763)/amd64", "windows/amd64"),
    ]

    @Test("formats as os/arch[/variant]", arguments: formatted)
    func format(_ specifier: String, _ expected: String) throws {
        let platform = try Platform(parsing: specifier)
        #expect(platform.description == expected)
        #expect(try Platform(parsing: platform.description).description == expected)
    }

    @Test("memberwise values are left as given until normalised")
    func memberwise() {
        let raw = Platform(
            os: "Linux", architecture: "aarch64", variant: "v8", osVersion: "", osFeatures: ["b", "a", "b"])
        #expect(raw.description == "Linux/aarch64/v8")
        let normalized = raw.normalized
        #expect(normalized == Platform(os: "linux", architecture: "arm64", osFeatures: ["a", "b"]))
        #expect(Platform(os: "", architecture: "amd64").description == "unknown")
    }

    // MARK: Codable

    @Test("codes with the image-spec keys and omits absent fields")
    func codable() throws {
        let full = Platform(
            os: "windows", architecture: "amd64", osVersion: "10.0.20348.2402", osFeatures: ["win32k"])
        let object = try ImageFixtures.encodedObject(full)
        #expect(Set(object.keys) == ["os", "architecture", "os.version", "os.features"])
        #expect(object["os.version"] as? String == "10.0.20348.2402")
        #expect(object["os.features"] as? [String] == ["win32k"])
        #expect(try JSONDecoder().decode(Platform.self, from: JSONEncoder().encode(full)) == full)

        let minimal = try ImageFixtures.encodedObject(Platform(os: "linux", architecture: "arm", variant: "v7"))
        #expect(Set(minimal.keys) == ["os", "architecture", "variant"])

        let decoded = try ImageFixtures.decode(
            Platform.self, json: #"{"architecture":"arm64","os":"linux","variant":"v8"}"#)
        #expect(decoded == Platform(os: "linux", architecture: "arm64", variant: "v8"))
        #expect(throws: DecodingError.self) { try ImageFixtures.decode(Platform.self, json: #"{"os":"linux"}"#) }
    }

    // MARK: Host

    @Test("the host platform comes from uname")
    func host() {
        let host = Platform.host
        #expect(host.os == "linux")
        #expect(host == host.normalized)
        #expect(Platform.isKnownArchitecture(host.architecture))
        #if arch(x86_64)
            #expect(host.architecture == "amd64")
        #elseif arch(arm64)
            #expect(host.architecture == "arm64")
        #endif
        #expect(PlatformMatcher.host.matches(host))
    }

    // MARK: Matching

    private static func sorted(_ matcher: PlatformMatcher, _ specifiers: [String]) -> [String] {
        matcher.sorted(specifiers.map(p)).map(\.description)
    }

    /// (target, shuffled candidates, expected order: best match first, then non-matching in input order).
    static let orderings: [(String, [String], [String])] = [
        (
            "linux/arm/v8",
            ["linux/arm/v5", "linux/arm64", "linux/arm/v7", "linux/amd64", "linux/arm/v8", "linux/arm/v6"],
            ["linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm64", "linux/amd64"]
        ),
        (
            "linux/arm/v7",
            ["linux/arm/v8", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
            ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm/v8"]
        ),
        (
            "linux/arm64",
            ["linux/arm/v5", "linux/amd64", "linux/arm/v7", "linux/arm/v8", "linux/arm64/v8", "linux/arm/v6"],
            ["linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/amd64"]
        ),
        (
            "linux/arm64/v8.2",
            ["linux/arm64/v8.3", "linux/arm/v7", "linux/arm64", "linux/arm64/v8.1", "linux/arm64/v8.2"],
            ["linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64", "linux/arm/v7", "linux/arm64/v8.3"]
        ),
        (
            "linux/arm64/v9.1",
            ["linux/arm64", "linux/arm64/v8.6", "linux/arm64/v9", "linux/arm64/v8.7", "linux/arm64/v9.1"],
            ["linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64", "linux/arm64/v8.7"]
        ),
        (
            "linux/amd64/v3",
            ["linux/386", "linux/amd64/v4", "linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/arm64"],
            ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386", "linux/amd64/v4", "linux/arm64"]
        ),
        (
            "linux/amd64",
            ["linux/amd64/v2", "linux/386", "windows/amd64", "linux/x86_64"],
            ["linux/amd64", "linux/386", "linux/amd64/v2", "windows/amd64"]
        ),
        (
            "linux/386",
            ["linux/amd64", "linux/386"],
            ["linux/386", "linux/amd64"]
        ),
    ]

    @Test("best-match order prefers the exact variant, then compatible lower ones", arguments: orderings)
    func bestMatchOrder(target: String, candidates: [String], expected: [String]) {
        let matcher = PlatformMatcher(Self.p(target))
        #expect(Self.sorted(matcher, candidates) == expected)
        var inPlace = candidates.map(Self.p)
        matcher.sort(&inPlace)
        #expect(inPlace.map(\.description) == expected)
    }

    @Test("candidate vectors")
    func candidateVectors() {
        #expect(
            PlatformMatcher(Self.p("linux/arm/v8")).candidates.map(\.description) == [
                "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
            ])
        #expect(
            PlatformMatcher(Self.p("linux/arm64")).candidates.map(\.description) == [
                "linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
            ])
        #expect(
            PlatformMatcher(Self.p("linux/amd64/v4")).candidates.map(\.description) == [
                "linux/amd64/v4", "linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386",
            ])
        #expect(PlatformMatcher(Self.p("linux/arm/v5")).candidates.map(\.description) == ["linux/arm/v5"])
        #expect(PlatformMatcher(Self.p("linux/s390x")).candidates.map(\.description) == ["linux/s390x"])
    }

    /// (target, candidate, matches).
    static let matches: [(String, String, Bool)] = [
        ("linux/amd64", "linux/amd64", true),
        ("linux/amd64", "linux/x86_64", true),
        ("linux/amd64", "linux/386", true),
        ("linux/amd64", "linux/amd64/v2", false),
        ("linux/amd64", "windows/amd64", false),
        ("linux/amd64", "linux/arm64", false),
        ("linux/arm64", "linux/aarch64/v8", true),
        ("linux/arm64", "linux/arm", true),
        ("linux/arm64", "linux/arm64/v8.1", false),
        ("linux/arm/v7", "linux/arm/v8", false),
        ("linux/arm/v7", "linux/armel", true),
        ("linux/arm/v6", "linux/armhf", false),
        ("linux/arm/v5", "linux/arm/v5", true),
    ]

    @Test("matches", arguments: matches)
    func matching(target: String, candidate: String, expected: Bool) {
        let matcher = PlatformMatcher(Self.p(target))
        #expect(matcher.matches(Self.p(candidate)) == expected)
        #expect((matcher.rank(Self.p(candidate)) != nil) == expected)
    }

    @Test("matching normalises raw (unparsed) platforms on both sides")
    func matchingNormalises() {
        let matcher = PlatformMatcher(Platform(os: "Linux", architecture: "aarch64"))
        #expect(matcher.matches(Platform(os: "linux", architecture: "arm64", variant: "v8")))
        #expect(matcher.matches(Platform(os: "linux", architecture: "arm", variant: "7")))
        #expect(matcher.rank(Platform(os: "linux", architecture: "arm64")) == 0)
    }

    @Test("strict matching excludes compatible lower variants")
    func strict() {
        let matcher = PlatformMatcher(Self.p("linux/arm/v7"), strict: true)
        #expect(matcher.matches(Self.p("linux/arm/v7")))
        #expect(matcher.matches(Self.p("linux/armhf")))
        #expect(!matcher.matches(Self.p("linux/arm/v6")))
        #expect(!PlatformMatcher(Self.p("linux/amd64"), strict: true).matches(Self.p("linux/386")))
    }

    @Test("less is a strict ordering by match quality")
    func less() {
        let matcher = PlatformMatcher(Self.p("linux/arm/v7"))
        #expect(matcher.less(Self.p("linux/arm/v7"), Self.p("linux/arm/v6")))
        #expect(!matcher.less(Self.p("linux/arm/v6"), Self.p("linux/arm/v7")))
        #expect(matcher.less(Self.p("linux/arm/v5"), Self.p("linux/amd64")))
        #expect(!matcher.less(Self.p("linux/amd64"), Self.p("linux/s390x")))
        #expect(!matcher.less(Self.p("linux/arm/v7"), Self.p("linux/armhf")))
    }

    @Test("OS features must be a subset of the target's")
    func osFeatures() {
        let plain = PlatformMatcher(Platform(os: "windows", architecture: "amd64"))
        let withFeature = Platform(os: "windows", architecture: "amd64", osFeatures: ["win32k"])
        #expect(!plain.matches(withFeature))
        let featured = PlatformMatcher(withFeature)
        #expect(featured.matches(withFeature))
        #expect(featured.matches(Platform(os: "windows", architecture: "amd64")))
        #expect(!featured.matches(Platform(os: "windows", architecture: "amd64", osFeatures: ["win32k", "other"])))
    }

    @Test("Windows OS versions match on major.minor.build")
    func windowsVersions() {
        let matcher = PlatformMatcher(Platform(os: "windows", architecture: "amd64", osVersion: "10.0.20348.100"))
        #expect(matcher.matches(Platform(os: "windows", architecture: "amd64", osVersion: "10.0.20348.2402")))
        #expect(!matcher.matches(Platform(os: "windows", architecture: "amd64", osVersion: "10.0.17763.5820")))
        #expect(matcher.matches(Platform(os: "windows", architecture: "amd64")))
        let linux = PlatformMatcher(Platform(os: "linux", architecture: "amd64", osVersion: "6.1"))
        #expect(linux.matches(Platform(os: "linux", architecture: "amd64", osVersion: "5.10")))
    }

    // MARK: Descriptors and indexes

    @Test("descriptors without a platform match and sort after matching ones")
    func descriptorsWithoutPlatform() throws {
        func descriptor(_ name: String, _ platform: String?) -> Descriptor {
            Descriptor(
                mediaType: .ociManifest, content: Array(name.utf8), embed: false
            ).withPlatform(platform.map(Self.p))
        }
        let none = descriptor("none", nil)
        let v6 = descriptor("v6", "linux/arm/v6")
        let v7 = descriptor("v7", "linux/arm/v7")
        let amd = descriptor("amd", "linux/amd64")
        let matcher = PlatformMatcher(Self.p("linux/arm/v7"))
        #expect(matcher.matches(none))
        #expect(!matcher.matches(amd))
        #expect(matcher.sorted([amd, none, v6, v7]) == [v7, v6, none, amd])
        #expect(matcher.filter([amd, none, v6, v7]) == [v7, v6, none])
        #expect(matcher.bestMatch(in: [amd, none, v6]) == v6)
        #expect(matcher.bestMatch(in: [amd]) == nil)
        #expect(matcher.less(v6, none))
        #expect(!matcher.less(none, v6))
    }

    /// (target, the manifest picked from oci-index.json: its digest is the sha256 of this label).
    /// The index's nested index has no platform, so it is the fallback for any target.
    static let indexPicks: [(String, String)] = [
        ("linux/amd64", "m-amd64"),
        ("linux/arm64", "m-arm64"),
        ("linux/arm64/v8", "m-arm64"),
        ("linux/arm/v8", "m-armv7"),
        ("linux/arm/v7", "m-armv7"),
        ("linux/arm/v6", "m-armv6"),
        ("linux/arm/v5", "nested-index"),
        ("linux/386", "m-386"),
        ("linux/s390x", "m-s390x"),
        ("windows(10.0.20348.1+win32k)/amd64", "m-windows"),
        ("windows(10.0.17763.1+win32k)/amd64", "nested-index"),
        ("linux/riscv64", "nested-index"),
    ]

    @Test("picks the best manifest from a multi-platform index", arguments: indexPicks)
    func indexSelection(target: String, label: String) throws {
        let index = try ImageFixtures.decode(Index.self, "oci-index.json")
        let picked = index.manifest(for: Self.p(target))
        #expect(picked?.digest == Digest.sha256(of: label.utf8))
    }

    @Test("orders a Docker manifest list for an arm64 host")
    func manifestListOrder() throws {
        let list = try ImageFixtures.decode(Index.self, "docker-manifest-list.json")
        let ordered = list.manifests(matching: PlatformMatcher(Self.p("linux/arm64")))
        #expect(
            ordered.compactMap { $0.platform?.description } == [
                "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
            ])
    }
}

extension Descriptor {
    fileprivate func withPlatform(_ platform: Platform?) -> Descriptor {
        var copy = self
        copy.platform = platform
        return copy
    }
}
