public import BerthOCI

/// Parsers for the string forms of `docker run`-style flags, so the CLI and
/// any other front end read them the same way. Each throws
/// ``BundleError`` (`invalidArgument`) naming the flag and the bad value.
public enum FlagParser {
    /// A size such as `512m`, `1.5g`, `64k`, `1024`, `2GiB` (binary units, as
    /// Docker's `--memory`). `-1` is returned as -1 when `allowUnlimited`.
    public static func byteSize(_ text: String, flag: String, allowUnlimited: Bool = false) throws(BundleError) -> Int64
    {
        let trimmed = text.trimmingSpaces()
        if allowUnlimited, trimmed == "-1" { return -1 }
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        var unit = trimmed.dropFirst(number.count).lowercased()
        if unit.hasSuffix("ib") {
            unit.removeLast(2)
        } else if unit.count == 2, unit.hasSuffix("b") {
            unit.removeLast()
        }
        let shifts: [String: Int64] = ["": 0, "b": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50]
        guard let value = Double(number), value >= 0, let shift = shifts[unit] else {
            throw BundleError.invalid("\(flag): invalid size \"\(text)\" (want a number with b, k, m, g, t or p)")
        }
        let bytes = value * Double(Int64(1) << shift)
        guard bytes < 9.2e18 else { throw BundleError.invalid("\(flag): size \"\(text)\" is too large") }
        return Int64(bytes)
    }

    /// `--cpus 1.5` as billionths of a CPU (1_500_000_000), exactly.
    public static func nanoCPUs(_ text: String) throws(BundleError) -> Int64 {
        let parts = text.trimmingSpaces().split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let digits = whole + fraction
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.count <= 9,
            let wholeValue = Int64(whole.isEmpty ? "0" : whole), wholeValue < 1_000_000,
            let fractionValue = Int64((fraction + String(repeating: "0", count: 9 - fraction.count)))
        else {
            throw BundleError.invalid("--cpus: invalid value \"\(text)\" (want a number such as 1.5)")
        }
        return wholeValue * 1_000_000_000 + fractionValue
    }

    /// The `ulimit` names Docker accepts, mapped to their `RLIMIT_*` types.
    public static let rlimitNames: Set<String> = [
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
        "rtprio", "rttime", "sigpending", "stack",
    ]

    /// `--ulimit nofile=1024:2048` (soft:hard; one value sets both; -1 or
    /// `unlimited` is unlimited).
    public static func ulimit(_ text: String) throws(BundleError) -> Spec.POSIXRlimit {
        let (name, values) = try keyValue(text, flag: "--ulimit")
        guard rlimitNames.contains(name.lowercased()) else {
            throw BundleError.invalid(
                "--ulimit: unknown limit \"\(name)\" (known: \(rlimitNames.sorted().joined(separator: ", ")))")
        }
        let numbers = values.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(numbers.count) else {
            throw BundleError.invalid("--ulimit: invalid value \"\(values)\" (want SOFT or SOFT:HARD)")
        }
        func limit(_ part: Substring) throws(BundleError) -> UInt64 {
            if part == "-1" || part == "unlimited" { return UInt64.max }
            guard let value = UInt64(part) else {
                throw BundleError.invalid("--ulimit: invalid number \"\(part)\" in \"\(text)\"")
            }
            return value
        }
        let soft = try limit(numbers[0])
        let hard = numbers.count == 2 ? try limit(numbers[1]) : soft
        guard soft <= hard else {
            throw BundleError.invalid(
                "--ulimit \(name): soft limit \(numbers[0]) is above the hard limit \(numbers[1])")
        }
        return Spec.POSIXRlimit(type: "RLIMIT_" + name.uppercased(), hard: hard, soft: soft)
    }

    /// `--device /dev/fuse`, `/dev/sda:/dev/xvda`, `/dev/sda:/dev/xvda:r`, `/dev/fuse:rwm`.
    public static func device(_ text: String) throws(BundleError) -> DeviceRequest {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func isPermissions(_ value: String) -> Bool {
            !value.isEmpty && value.count <= 3 && value.allSatisfy { "rwm".contains($0) }
        }
        switch parts.count {
        case 1 where parts[0].hasPrefix("/"):
            return DeviceRequest(hostPath: parts[0])
        case 2 where parts[0].hasPrefix("/") && isPermissions(parts[1]):
            return DeviceRequest(hostPath: parts[0], permissions: parts[1])
        case 2 where parts[0].hasPrefix("/") && parts[1].hasPrefix("/"):
            return DeviceRequest(hostPath: parts[0], containerPath: parts[1])
        case 3 where parts[0].hasPrefix("/") && parts[1].hasPrefix("/") && isPermissions(parts[2]):
            return DeviceRequest(hostPath: parts[0], containerPath: parts[1], permissions: parts[2])
        default:
            throw BundleError.invalid("--device: invalid value \"\(text)\" (want HOST[:CONTAINER][:rwm])")
        }
    }

    /// `--uidmap`/`--gidmap CONTAINER_ID:HOST_ID:SIZE`.
    public static func idMapping(_ text: String, flag: String) throws(BundleError) -> Spec.Linux.IDMapping {
        let numbers = text.split(separator: ":", omittingEmptySubsequences: false).map { UInt32($0) }
        guard numbers.count == 3, let container = numbers[0], let host = numbers[1], let size = numbers[2], size > 0
        else {
            throw BundleError.invalid("\(flag): invalid mapping \"\(text)\" (want CONTAINER_ID:HOST_ID:SIZE)")
        }
        return Spec.Linux.IDMapping(containerID: container, hostID: host, size: size)
    }

    /// `--net`, `--pid`, `--ipc`, `--uts`: `host`, `private`, `ns:PATH`; and
    /// for the network `none` (a private namespace with loopback only).
    public static func namespaceMode(_ text: String, flag: String) throws(BundleError) -> SpecOptions.NamespaceMode {
        switch text {
        case "host": return .host
        case "private", "": return .private
        case "none" where flag == "--net" || flag == "--network": return .private
        default:
            if text.hasPrefix("ns:"), text.count > 3 {
                let path = String(text.dropFirst(3))
                guard path.hasPrefix("/") else {
                    throw BundleError.invalid("\(flag): namespace path \"\(path)\" is not absolute")
                }
                return .path(path)
            }
            let choices =
                flag == "--net" || flag == "--network" ? "host, none, private or ns:PATH" : "host, private or ns:PATH"
            throw BundleError.invalid("\(flag): unsupported mode \"\(text)\" (want \(choices))")
        }
    }

    /// `KEY=VALUE` (for `--sysctl`, `--annotation`, `--ulimit`); the value may be empty.
    public static func keyValue(_ text: String, flag: String) throws(BundleError) -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw BundleError.invalid("\(flag): invalid value \"\(text)\" (want KEY=VALUE)")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// The lines of an `--env-file`: `KEY=VALUE` kept verbatim, a bare `KEY`
    /// taken from `lookup` (the caller's environment) or removed when unset,
    /// blank lines and `#` comments skipped. Leading whitespace is trimmed.
    public static func envFile(_ text: String, lookup: (String) -> String?) throws(BundleError) -> [String] {
        var result: [String] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (number, rawLine) in lines.enumerated() {
            let line = String(rawLine.drop { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            let key = line.prefix { $0 != "=" }
            guard !key.isEmpty, !key.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw BundleError.invalid("--env-file line \(number + 1): invalid variable \"\(line)\"")
            }
            result.append(try env(line, lookup: lookup))
        }
        return result
    }

    /// `-e KEY=VALUE` as is; `-e KEY` becomes `KEY=<value from lookup>`, or
    /// stays a bare `KEY` (which removes the variable) when lookup has none.
    public static func env(_ entry: String, lookup: (String) -> String?) throws(BundleError) -> String {
        guard !entry.isEmpty, !entry.hasPrefix("=") else {
            throw BundleError.invalid("-e: invalid variable \"\(entry)\" (want KEY=VALUE or KEY)")
        }
        if entry.contains("=") { return entry }
        return lookup(entry).map { "\(entry)=\($0)" } ?? entry
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
