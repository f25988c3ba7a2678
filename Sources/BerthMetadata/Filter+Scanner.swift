/// A port of containerd's filter scanner (`filters/scanner.go`).
struct FilterScanner {
    enum Peeked: Equatable, CustomStringConvertible {
        case end
        case illegal
        case scalar(Unicode.Scalar)

        var description: String {
            switch self {
            case .end: "EOF"
            case .illegal: "illegal"
            case .scalar(let scalar): String(Character(scalar))
            }
        }
    }

    enum Token: Equatable {
        case end
        case quoted(String)
        case value(String)
        case field(String)
        case separator
        case `operator`(String)
        case illegal(String)
        case other(Unicode.Scalar)
    }

    private let input: [Unicode.Scalar]
    /// Start of the current scalar.
    private var position = 0
    /// Start of the next scalar.
    private var nextPosition = 0
    /// True right after an operator: the next bare word is a value.
    private var expectingValue = false
    private var errorMessage: String?

    init(_ input: [Unicode.Scalar]) {
        self.input = input
    }

    /// Where the next `scan()` starts (for error messages).
    var peekPosition: Int { nextPosition }

    private mutating func next() -> Peeked {
        guard nextPosition < input.count else {
            position = input.count
            return .end
        }
        position = nextPosition
        let scalar = input[nextPosition]
        nextPosition += 1
        if scalar == "\0" {
            error("unexpected null")
            return .illegal
        }
        return .scalar(scalar)
    }

    mutating func peek() -> Peeked {
        let saved = (position, nextPosition)
        let result = next()
        (position, nextPosition) = saved
        return result
    }

    private func text(from start: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: input[start..<nextPosition])
        return String(view)
    }

    mutating func scan() -> (Int, Token) {
        var current = next()
        var start = position
        while true {
            guard case .scalar(let scalar) = current else {
                if current == .end {
                    return (start, .end)
                }
                return (start, .illegal(errorMessage ?? "illegal input"))
            }
            if Self.isQuote(scalar) {
                if !scanQuoted(scalar) {
                    return (start, .illegal(errorMessage ?? "illegal quoted literal"))
                }
                return (start, .quoted(text(from: start)))
            }
            if scalar == "," || scalar == "." {
                expectingValue = false
                return (start, .separator)
            }
            if Self.isOperator(scalar) {
                scanWhile(Self.isOperator)
                expectingValue = true
                return (start, .operator(text(from: start)))
            }
            if scalar.properties.isWhitespace {
                current = next()
                start = position
                continue
            }
            if expectingValue {
                scanWhile(Self.isValue)
                expectingValue = false
                return (start, .value(text(from: start)))
            }
            if Self.isField(scalar) {
                scanWhile(Self.isField)
                return (start, .field(text(from: start)))
            }
            return (position, .other(scalar))
        }
    }

    private mutating func scanWhile(_ predicate: (Unicode.Scalar) -> Bool) {
        while case .scalar(let scalar) = peek(), predicate(scalar) {
            _ = next()
        }
    }

    private mutating func scanQuoted(_ quote: Unicode.Scalar) -> Bool {
        var illegal = false
        var current = next()
        while current != .scalar(quote) {
            guard case .scalar(let scalar) = current, scalar != "\n" else {
                error("quoted literal not terminated")
                return false
            }
            if scalar == "\\" {
                let (after, legal) = scanEscape(quote)
                current = after
                if !legal { illegal = true }
            } else {
                current = next()
            }
        }
        return !illegal
    }

    private mutating func scanEscape(_ quote: Unicode.Scalar) -> (Peeked, Bool) {
        let current = next()
        guard case .scalar(let scalar) = current else {
            error("illegal escape sequence")
            return (current, false)
        }
        switch scalar {
        case "a", "b", "f", "n", "r", "t", "v", "\\", quote:
            return (next(), true)
        case "0"..."7":
            return scanDigits(current, base: 8, count: 3)
        case "x":
            return scanDigits(next(), base: 16, count: 2)
        case "u":
            return scanDigits(next(), base: 16, count: 4)
        case "U":
            return scanDigits(next(), base: 16, count: 8)
        default:
            error("illegal escape sequence")
            return (current, false)
        }
    }

    private mutating func scanDigits(_ first: Peeked, base: Int, count: Int) -> (Peeked, Bool) {
        var current = first
        var remaining = count
        while remaining > 0, case .scalar(let scalar) = current, Self.digitValue(scalar) < base {
            current = next()
            remaining -= 1
        }
        if remaining > 0 {
            error("illegal numeric escape sequence")
            return (current, false)
        }
        return (current, true)
    }

    private mutating func error(_ message: String) {
        if errorMessage == nil {
            errorMessage = message
        }
    }

    static func digitValue(_ scalar: Unicode.Scalar) -> Int {
        switch scalar {
        case "0"..."9": Int(scalar.value - 48)
        case "a"..."f": Int(scalar.value - 97 + 10)
        case "A"..."F": Int(scalar.value - 65 + 10)
        default: 16
        }
    }

    static func isField(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    static func isOperator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "=" || scalar == "!" || scalar == "~"
    }

    static func isQuote(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "/" || scalar == "|" || scalar == "\""
    }

    /// Go's `isValueRune`: anything printable except `,` and white space.
    static func isValue(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "," || scalar.properties.isWhitespace { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        default:
            return true
        }
    }
}

/// Go string-literal unquoting as containerd's `filters/quote.go` does it:
/// `"…"` and `'…'` with Go escapes, plus `/…/` and `|…|` treated like `"…"`.
enum FilterQuote {
    static func unquote(_ text: String) -> String? {
        var bytes = Array(text.utf8)
        guard bytes.count >= 2, let quote = bytes.first, quote == bytes.last else { return nil }
        bytes = Array(bytes[1..<(bytes.count - 1)])
        let quotes: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "|"), UInt8(ascii: "/")]
        guard quotes.contains(quote), !bytes.contains(UInt8(ascii: "\n")) else { return nil }
        if !bytes.contains(UInt8(ascii: "\\")) && !bytes.contains(quote) {
            if quote != UInt8(ascii: "'") {
                return String(decoding: bytes, as: UTF8.self)
            }
            let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
            return scalars.count == 1 ? String(decoding: bytes, as: UTF8.self) : nil
        }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let (decoded, consumed) = unquoteCharacter(bytes, index, quote: quote) else { return nil }
            output.append(contentsOf: decoded)
            index += consumed
            if quote == UInt8(ascii: "'") && index != bytes.count {
                return nil
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes one (possibly escaped) character at `index`: its UTF-8 bytes and
    /// how many input bytes it used.
    private static func unquoteCharacter(_ bytes: [UInt8], _ index: Int, quote: UInt8) -> ([UInt8], Int)? {
        let first = bytes[index]
        if first == quote {
            return nil
        }
        if first >= 0x80 {
            var length = 1
            while index + length < bytes.count, bytes[index + length] & 0xC0 == 0x80 { length += 1 }
            return (Array(bytes[index..<index + length]), length)
        }
        if first != UInt8(ascii: "\\") {
            return ([first], 1)
        }
        guard index + 1 < bytes.count else { return nil }
        let escape = bytes[index + 1]
        let rest = bytes[(index + 2)...]
        switch escape {
        case UInt8(ascii: "a"): return ([0x07], 2)
        case UInt8(ascii: "b"): return ([0x08], 2)
        case UInt8(ascii: "f"): return ([0x0C], 2)
        case UInt8(ascii: "n"): return ([0x0A], 2)
        case UInt8(ascii: "r"): return ([0x0D], 2)
        case UInt8(ascii: "t"): return ([0x09], 2)
        case UInt8(ascii: "v"): return ([0x0B], 2)
        case UInt8(ascii: "\\"): return ([escape], 2)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = escape == UInt8(ascii: "x") ? 2 : escape == UInt8(ascii: "u") ? 4 : 8
            guard rest.count >= count else { return nil }
            var value: UInt32 = 0
            for byte in rest.prefix(count) {
                let digit = FilterScanner.digitValue(Unicode.Scalar(byte))
                guard digit < 16 else { return nil }
                value = value << 4 | UInt32(digit)
            }
            if escape == UInt8(ascii: "x") {
                return ([UInt8(value)], 2 + count)
            }
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return (Array(String(Character(scalar)).utf8), 2 + count)
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard rest.count >= 2 else { return nil }
            var value = UInt32(escape - UInt8(ascii: "0"))
            for byte in rest.prefix(2) {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { return nil }
                value = value << 3 | UInt32(byte - UInt8(ascii: "0"))
            }
            guard value <= 255 else { return nil }
            return ([UInt8(value)], 4)
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "|"), UInt8(ascii: "/"):
            guard escape == quote else { return nil }
            return ([escape], 2)
        default:
            return nil
        }
    }
}
