/// One challenge from a `WWW-Authenticate` header, e.g.
/// `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`.
public struct AuthChallenge: Hashable, Sendable {
    /// The scheme, lowercased: `basic` or `bearer`.
    public var scheme: String
    /// The auth parameters; names lowercased.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    /// Parses every challenge in a `WWW-Authenticate` header value (RFC 7235).
    /// Malformed input yields whatever parsed before the problem.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = Scanner(Array(header.utf8))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: ",") }
            guard let scheme = scanner.token(), !scheme.isEmpty else { break }
            var challenge = AuthChallenge(scheme: scheme)
            // auth-params: name=value pairs separated by commas, until the next scheme.
            while true {
                let mark = scanner.index
                scanner.skipSpaces()
                guard let name = scanner.token(), !name.isEmpty else {
                    scanner.index = mark
                    break
                }
                scanner.skipSpaces()
                guard scanner.consume(UInt8(ascii: "=")) else {
                    // Not a parameter: the start of the next challenge (or token68).
                    scanner.index = mark
                    break
                }
                scanner.skipSpaces()
                let value = scanner.quotedString() ?? scanner.bareValue()
                challenge.parameters[name.lowercased()] = value
                scanner.skipSpaces()
                if !scanner.consume(UInt8(ascii: ",")) { break }
            }
            challenges.append(challenge)
        }
        return challenges
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skip(while predicate: (UInt8) -> Bool) {
            while index < bytes.count && predicate(bytes[index]) { index += 1 }
        }

        mutating func skipSpaces() {
            skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// An RFC 7230 token (tchar+).
        mutating func token() -> String? {
            let start = index
            while index < bytes.count, Self.isTokenChar(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// An unquoted value: everything up to a comma or white space (lenient:
        /// some servers send unquoted URLs, which are not RFC 7230 tokens).
        mutating func bareValue() -> String {
            let start = index
            while index < bytes.count,
                ![UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(bytes[index])
            {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func quotedString() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\\"), index < bytes.count {
                    out.append(bytes[index])
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    return String(decoding: out, as: UTF8.self)
                } else {
                    out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        static func isTokenChar(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
    }
}
