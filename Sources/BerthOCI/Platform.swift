/// The platform an image or manifest is built for (image-spec `platform`).
///
/// Encodes with the image-spec keys `os`, `architecture`, `variant`,
/// `os.version` and `os.features`; absent optional fields are omitted.
///
/// Values are compared field by field. Use `normalized` (or parse with
/// `init(parsing:)`, which normalises) before comparing values from different
/// sources, or use `PlatformMatcher`, which normalises both sides.
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The operating system, e.g. `linux`, `windows` (Go's `GOOS` values).
    public var os: String
    /// The CPU architecture, e.g. `amd64`, `arm64`, `arm` (Go's `GOARCH` values).
    public var architecture: String
    /// The CPU variant, e.g. `v7` for `arm`, `v8` for `arm64`, `v3` for `amd64`.
    public var variant: String?
    /// The OS version, e.g. `10.0.17763.1879` (Windows only in practice).
    public var osVersion: String?
    /// Required OS features, e.g. `win32k` (Windows only in practice).
    public var osFeatures: [String]?

    public init(
        os: String,
        architecture: String,
        variant: String? = nil,
        osVersion: String? = nil,
        osFeatures: [String]? = nil
    ) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = osFeatures
    }

    enum CodingKeys: String, CodingKey {
        case os
        case architecture
        case variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// `os/architecture[/variant]`, as containerd's `platforms.Format`.
    public var description: String {
        guard !os.isEmpty else { return "unknown" }
        return Self.join(os, architecture, variant)
    }

    /// Like `description`, but with the OS version and features in the OS
    /// component when present: `windows(10.0.17763+win32k)/amd64`, as
    /// containerd's `platforms.FormatAll`. `init(parsing:)` reads this form back.
    public var fullDescription: String {
        guard !os.isEmpty else { return "unknown" }
        var options = Self.encodeOSOption(osVersion ?? "")
        for feature in (osFeatures ?? []).sorted() {
            options += "+" + Self.encodeOSOption(feature)
        }
        let osComponent = options.isEmpty ? os : "\(os)(\(options))"
        return Self.join(osComponent, architecture, variant)
    }

    private static func join(_ parts: String?...) -> String {
        parts.compactMap { part in
            guard let part, !part.isEmpty else { return nil }
            return part
        }.joined(separator: "/")
    }
}

// MARK: - Parsing

extension Platform {
    /// Parses a platform specifier and normalises it.
    ///
    /// Accepted forms, as containerd's `platforms.Parse`:
    /// - `os/arch/variant`, e.g. `linux/arm/v7`;
    /// - `os/arch`, e.g. `linux/amd64`, `windows/amd64`;
    /// - a lone OS, e.g. `linux` (the host architecture is assumed);
    /// - a lone architecture, e.g. `arm64`, `aarch64` (the host OS is assumed);
    /// - the OS component may carry a version and features: `windows(10.0.17763+win32k)/amd64`.
    ///
    /// The result is `normalized`, so `linux/aarch64` gives `linux/arm64`,
    /// `linux/arm64/v8` equals `linux/arm64`, and `linux/arm` gives `linux/arm/v7`.
    ///
    /// - Throws: `OCIError(.invalidArgument)` naming the specifier and the bad component.
    public init(parsing specifier: String) throws {
        if specifier.contains("*") {
            throw OCIError.invalid("platform \"\(specifier)\": wildcards are not supported")
        }
        let parts = specifier.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3 else {
            throw OCIError.invalid(
                "platform \"\(specifier)\": too many components; expected os/architecture[/variant]")
        }
        let osPart = try Self.parseOSComponent(parts[0], specifier: specifier)
        for part in parts.dropFirst() where !Self.isSpecifierComponent(part) {
            throw OCIError.invalid(
                "platform \"\(specifier)\": component \"\(part)\" must be non-empty and match [A-Za-z0-9_.-]+")
        }

        var platform: Platform
        switch parts.count {
        case 1:
            let os = Self.normalizeOS(osPart.os)
            if Self.isKnownOS(os) {
                let host = Platform.host
                platform = Platform(
                    os: os, architecture: host.architecture, variant: host.variant, osVersion: osPart.version,
                    osFeatures: osPart.features)
            } else {
                let (arch, _) = Self.normalizeArchitecture(parts[0], variant: nil)
                guard osPart.version == nil, osPart.features == nil, Self.isKnownArchitecture(arch) else {
                    throw OCIError.invalid(
                        "platform \"\(specifier)\": unknown operating system or architecture")
                }
                platform = Platform(os: Platform.host.os, architecture: parts[0])
            }
        case 2:
            platform = Platform(
                os: osPart.os, architecture: parts[1], osVersion: osPart.version, osFeatures: osPart.features)
        default:
            platform = Platform(
                os: osPart.os, architecture: parts[1], variant: parts[2], osVersion: osPart.version,
                osFeatures: osPart.features)
        }
        self = platform.normalized
    }

    /// Parses a platform specifier, returning `nil` if it is not valid.
    public init?(_ description: String) {
        guard let platform = try? Platform(parsing: description) else { return nil }
        self = platform
    }

    private struct OSComponent {
        var os: String
        var version: String?
        var features: [String]?
    }

    /// Parses `os[(version[+feature]*)]`.
    private static func parseOSComponent(_ part: String, specifier: String) throws -> OSComponent {
        func invalid() -> OCIError {
            OCIError.invalid(
                "platform \"\(specifier)\": OS component \"\(part)\" must match os[(version[+feature]...)] "
                    + "with os in [A-Za-z0-9_-]+")
        }
        var os = part
        var options: Substring?
        if let open = part.firstIndex(of: "(") {
            guard part.hasSuffix(")") else { throw invalid() }
            os = String(part[..<open])
            options = part[part.index(after: open)..<part.index(before: part.endIndex)]
        }
        guard !os.isEmpty,
            os.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw invalid() }
        guard let options else { return OSComponent(os: os) }

        let pieces = options.split(separator: "+", omittingEmptySubsequences: false)
        var decoded: [String] = []
        for piece in pieces {
            guard
                piece.utf8.allSatisfy({
                    isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                        || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "%")
                }), let value = decodeOSOption(piece)
            else { throw invalid() }
            decoded.append(value)
        }
        let version = decoded.first.flatMap { $0.isEmpty ? nil : $0 }
        let features = Array(decoded.dropFirst())
        return OSComponent(os: os, version: version, features: features.isEmpty ? nil : features)
    }

    private static func isSpecifierComponent(_ part: String) -> Bool {
        !part.isEmpty
            && part.utf8.allSatisfy {
                isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
            }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            false
        }
    }

    /// Percent-decodes an OS option (`%2B` → `+`); nil if malformed.
    private static func decodeOSOption(_ value: Substring) -> String? {
        var out: [UInt8] = []
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
            else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func encodeOSOption(_ value: String) -> String {
        var out = ""
        for char in value {
            switch char {
            case "%": out += "%25"
            case "+": out += "%2B"
            case "(": out += "%28"
            case ")": out += "%29"
            case "/": out += "%2F"
            default: out.append(char)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
