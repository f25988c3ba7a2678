/// Validation of object identifiers (container, task, snapshot and namespace
/// IDs), following containerd's `identifiers` package.
///
/// A valid identifier is 1 to 76 characters of ASCII letters and digits,
/// optionally split into components by single `.`, `_` or `-` separators; it
/// must start and end with a letter or digit. Equivalent to the regular
/// expression `^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$`.
///
/// Identifiers end up in file system paths and cgroup names, so the rules are
/// deliberately narrow: no `/`, no `..`, no leading `-` or `.`.
public enum Identifier {
    /// The maximum identifier length, in characters.
    public static let maxLength = 76

    /// Throws unless `identifier` is valid.
    ///
    /// - Throws: `OCIError(.invalidArgument)` whose message quotes the identifier
    ///   and says what is wrong with it.
    public static func validate(_ identifier: String) throws {
        if let problem = problem(with: identifier) {
            throw OCIError.invalid(problem)
        }
    }

    /// True if `identifier` is valid.
    public static func isValid(_ identifier: String) -> Bool {
        problem(with: identifier) == nil
    }

    private static func problem(with identifier: String) -> String? {
        let bytes = identifier.utf8
        if bytes.isEmpty {
            return "identifier must not be empty"
        }
        if bytes.count > maxLength {
            return "identifier \"\(identifier)\" greater than maximum length (\(maxLength) characters)"
        }
        var previousWasSeparator = false
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                previousWasSeparator = false
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                let separator = Character(Unicode.Scalar(byte))
                if offset == 0 {
                    return "identifier \"\(identifier)\" must start with a letter or digit, not '\(separator)'"
                }
                if previousWasSeparator {
                    return
                        "identifier \"\(identifier)\" has consecutive separators at offset \(offset - 1); "
                        + "separators '.', '_' and '-' must be between letters or digits"
                }
                previousWasSeparator = true
            default:
                return "identifier \"\(identifier)\" contains \(describe(identifier, byteOffset: offset)); "
                    + "only letters, digits and single '.', '_' or '-' separators are allowed"
            }
        }
        if previousWasSeparator {
            return "identifier \"\(identifier)\" must end with a letter or digit"
        }
        return nil
    }

    /// Describes the offending character (decoded as a whole, so a multi-byte
    /// character is named, not its first byte).
    private static func describe(_ identifier: String, byteOffset: Int) -> String {
        let utf8 = identifier.utf8
        let index = utf8.index(utf8.startIndex, offsetBy: byteOffset)
        guard let scalarIndex = index.samePosition(in: identifier.unicodeScalars) else {
            return "an invalid byte at offset \(byteOffset)"
        }
        let scalar = identifier.unicodeScalars[scalarIndex]
        if scalar.value < 0x20 || scalar.value == 0x7F {
            return "control character U+\(hex4(scalar.value)) at offset \(byteOffset)"
        }
        return "invalid character '\(scalar)' at offset \(byteOffset)"
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = Array("0123456789ABCDEF")
        return String((0..<4).reversed().map { digits[Int((value >> (UInt32($0) * 4)) & 0xF)] })
    }
}
