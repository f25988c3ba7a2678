extension Spec {
    /// A string-backed value with a set of well-known members that still
    /// accepts any other string.
    ///
    /// Used instead of an `enum` for spec values such as seccomp actions or
    /// namespace types, so that a document written against a newer spec (or
    /// a runtime extension) decodes and round-trips instead of failing.
    /// Encodes as a bare JSON string.
    public protocol OpenString: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral,
        CustomStringConvertible
    where RawValue == String {
        init(rawValue: String)
    }
}

extension Spec.OpenString {
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
