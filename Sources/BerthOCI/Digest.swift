/// A content digest, `algorithm:encoded`, as defined by the OCI image spec.
///
/// Parsing follows the image-spec grammar
///
///     digest               ::= algorithm ":" encoded
///     algorithm            ::= algorithm-component (algorithm-separator algorithm-component)*
///     algorithm-component  ::= [a-z0-9]+
///     algorithm-separator  ::= [+._-]
///     encoded              ::= [a-zA-Z0-9=_-]+
///
/// and then the rules of the registered algorithms: `sha256` needs 64 and
/// `sha512` needs 128 lowercase hex characters. Any other algorithm is
/// rejected, so every `Digest` value can be verified.
///
/// A digest encodes to JSON as its string form.
public struct Digest: Hashable, Sendable, Codable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// The hash algorithm.
    public let algorithm: Algorithm
    /// The encoded hash: lowercase hex for the registered algorithms.
    public let encoded: String

    /// Parses and validates a digest string such as `sha256:e3b0…b855`.
    ///
    /// - Throws: `OCIError(.invalidArgument)` naming the input and what is wrong with it.
    public init(parsing string: String) throws {
        guard !string.isEmpty else {
            throw OCIError.invalid("invalid digest \"\": empty string")
        }
        guard let colon = string.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw OCIError.invalid(
                "invalid digest \"\(string)\": missing ':' between algorithm and encoded portion")
        }
        let name = String(string[..<colon])
        let encoded = String(string[string.utf8.index(after: colon)...])
        if let problem = Self.algorithmGrammarProblem(name) {
            throw OCIError.invalid("invalid digest \"\(string)\": \(problem)")
        }
        guard let algorithm = Algorithm(registeredName: name) else {
            throw OCIError.invalid(
                "invalid digest \"\(string)\": unsupported algorithm \"\(name)\" (supported: sha256, sha512)")
        }
        if let problem = Self.encodedProblem(encoded, algorithm: algorithm) {
            throw OCIError.invalid("invalid digest \"\(string)\": \(problem)")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Builds a digest from an algorithm and its encoded hash, validating the encoding.
    ///
    /// - Throws: `OCIError(.invalidArgument)` if `encoded` is not valid for `algorithm`.
    public init(algorithm: Algorithm, encoded: String) throws {
        if let problem = Self.encodedProblem(encoded, algorithm: algorithm) {
            throw OCIError.invalid("invalid digest \"\(algorithm):\(encoded)\": \(problem)")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Builds a digest from raw hash bytes, hex-encoding them.
    ///
    /// - Throws: `OCIError(.invalidArgument)` if the byte count is wrong for `algorithm`.
    public init(algorithm: Algorithm, hashBytes: some Sequence<UInt8>) throws {
        let hex = Self.hex(hashBytes)
        try self.init(algorithm: algorithm, encoded: hex)
    }

    /// Internal initialiser for values already known to be valid (a hash just computed).
    init(trustedAlgorithm algorithm: Algorithm, hashBytes: some Sequence<UInt8>) {
        self.algorithm = algorithm
        self.encoded = Self.hex(hashBytes)
    }

    /// Parses a digest string, returning `nil` if it is not valid.
    public init?(_ description: String) {
        guard let digest = try? Digest(parsing: description) else { return nil }
        self = digest
    }

    /// The string form, `algorithm:encoded`.
    public var description: String { "\(algorithm.name):\(encoded)" }

    /// The string form, `algorithm:encoded`.
    public var string: String { description }

    /// The raw hash bytes decoded from the hex encoding.
    public var hashBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.utf8.count / 2)
        var high: UInt8?
        for char in encoded.utf8 {
            let nibble = Self.hexValue(char) ?? 0
            if let value = high {
                bytes.append(value << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        lhs.description < rhs.description
    }

    /// Reports whether `string` is a valid, supported digest.
    public static func isValid(_ string: String) -> Bool {
        (try? Digest(parsing: string)) != nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            try self.init(parsing: string)
        } catch let error as OCIError {
            throw error.at(decoder.codingPath)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Algorithm

extension Digest {
    /// A registered digest algorithm. Only algorithms this build can compute exist.
    public struct Algorithm: Hashable, Sendable, CustomStringConvertible {
        enum Kind: Hashable, Sendable {
            case sha256
            case sha512
        }

        let kind: Kind

        /// SHA-256, the canonical algorithm.
        public static let sha256 = Algorithm(kind: .sha256)
        /// SHA-512.
        public static let sha512 = Algorithm(kind: .sha512)
        /// The algorithm used when none is specified (`sha256`), as in go-digest.
        public static let canonical = sha256
        /// Every supported algorithm.
        public static let all: [Algorithm] = [.sha256, .sha512]

        private init(kind: Kind) {
            self.kind = kind
        }

        init?(registeredName name: String) {
            switch name {
            case "sha256": self.init(kind: .sha256)
            case "sha512": self.init(kind: .sha512)
            default: return nil
            }
        }

        /// Looks up a supported algorithm by name (`sha256`, `sha512`).
        ///
        /// - Throws: `OCIError(.invalidArgument)` for any other name.
        public init(_ name: String) throws {
            guard let algorithm = Algorithm(registeredName: name) else {
                throw OCIError.invalid("unsupported digest algorithm \"\(name)\" (supported: sha256, sha512)")
            }
            self = algorithm
        }

        /// The algorithm name as it appears in a digest string.
        public var name: String {
            switch kind {
            case .sha256: "sha256"
            case .sha512: "sha512"
            }
        }

        /// The size of the hash in bytes.
        public var byteCount: Int {
            switch kind {
            case .sha256: 32
            case .sha512: 64
            }
        }

        /// The number of hex characters in the encoded portion.
        public var encodedLength: Int { byteCount * 2 }

        public var description: String { name }
    }
}

// MARK: - Validation helpers

extension Digest {
    /// Checks the algorithm against the image-spec grammar; returns a problem or nil.
    static func algorithmGrammarProblem(_ name: String) -> String? {
        if name.isEmpty {
            return "empty algorithm"
        }
        var previousWasSeparator = true  // a leading separator is an error
        for (offset, char) in name.utf8.enumerated() {
            switch char {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                previousWasSeparator = false
            case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                if previousWasSeparator {
                    return "algorithm \"\(name)\" has a misplaced separator at offset \(offset)"
                }
                previousWasSeparator = true
            default:
                return
                    "algorithm \"\(name)\" must match [a-z0-9]+([+._-][a-z0-9]+)*, found \(describe(char)) at offset \(offset)"
            }
        }
        if previousWasSeparator {
            return "algorithm \"\(name)\" must not end with a separator"
        }
        return nil
    }

    /// Checks the encoded portion against the grammar and the algorithm's rules.
    static func encodedProblem(_ encoded: String, algorithm: Algorithm) -> String? {
        if encoded.isEmpty {
            return "empty encoded portion"
        }
        for (offset, char) in encoded.utf8.enumerated() {
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "g")...UInt8(ascii: "z"),
                UInt8(ascii: "="), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return
                    "\(algorithm.name) encoded portion must be lowercase hex, found \(describe(char)) at offset \(offset)"
            default:
                return "encoded portion must match [a-zA-Z0-9=_-]+, found \(describe(char)) at offset \(offset)"
            }
        }
        let count = encoded.utf8.count
        if count != algorithm.encodedLength {
            return "\(algorithm.name) encoded portion must be \(algorithm.encodedLength) characters, got \(count)"
        }
        return nil
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let digits = Array("0123456789abcdef")
        return "byte 0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
