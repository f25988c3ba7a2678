internal import CLibcap
import BerthErrors

/// One Linux capability: its number and its canonical name (`CAP_CHOWN`).
///
/// Names and numbers come from libcap, so they match what `capsh` and the
/// kernel headers libcap was built against say.
public struct Capability: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The kernel's number for the capability (`CAP_CHOWN` is 0).
    public let value: Int32
    /// The canonical name: `CAP_` followed by the uppercase libcap name.
    ///
    /// A number libcap has no name for (a kernel newer than libcap) is named
    /// `CAP_<number>`; such names are not accepted by ``init(_:)``.
    public let name: String

    /// Looks a capability up by name, accepting the forms Docker accepts:
    /// `chown`, `CAP_CHOWN`, `cap_chown` (case-insensitive).
    ///
    /// Throws `CapabilityError(.invalidArgument, "unknown capability \"CAP_FOO\"")`
    /// for a name libcap does not know. Numbers are not names and are rejected.
    public init(_ name: String) throws(CapabilityError) {
        let canonical = Self.canonicalSpelling(of: name)
        let bare = canonical.dropFirst(Self.prefix.count)
        guard !bare.isEmpty, bare.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
            !bare.allSatisfy(\.isNumber)
        else {
            throw CapabilityError(.invalidArgument, "unknown capability \"\(canonical)\"")
        }
        var number: cap_value_t = 0
        guard cap_from_name(canonical.lowercased(), &number) == 0, number >= 0 else {
            throw CapabilityError(.invalidArgument, "unknown capability \"\(canonical)\"")
        }
        self.value = number
        self.name = Self.name(of: number)
    }

    /// The capability with kernel number `value`, or nil for a negative number.
    public init?(value: Int32) {
        guard value >= 0 else { return nil }
        self.value = value
        self.name = Self.name(of: value)
    }

    public var description: String { name }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.value < rhs.value }

    static let prefix = "CAP_"

    /// Uppercases `name` and adds the `CAP_` prefix when it is missing.
    static func canonicalSpelling(of name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix(prefix) ? upper : prefix + upper
    }

    /// The canonical name libcap gives `value`, or `CAP_<value>` when it has none.
    static func name(of value: cap_value_t) -> String {
        guard let raw = cap_to_name(value) else { return "\(prefix)\(value)" }
        defer { cap_free(raw) }
        return canonicalSpelling(of: String(cString: raw))
    }
}
