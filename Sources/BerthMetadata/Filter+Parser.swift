/// A port of containerd's filter scanner and parser.
struct FilterParser {
    private let input: [Unicode.Scalar]
    private var scanner: FilterScanner

    init(_ string: String) {
        input = Array(string.unicodeScalars)
        scanner = FilterScanner(input)
    }

    mutating func parse() throws -> [Filter.Selector] {
        var selectors = [try selector()]
        while true {
            let next = scanner.peek()
            if next == .end {
                break
            }
            if next == .scalar(",") {
                let (position, token) = scanner.scan()
                guard case .separator = token else {
                    throw error(position, "expected a separator")
                }
                selectors.append(try selector())
            } else {
                throw error(scanner.peekPosition, "unexpected input: \(next)")
            }
        }
        return selectors
    }

    private mutating func selector() throws -> Filter.Selector {
        let fieldPath = try self.fieldPath()
        let next = scanner.peek()
        if next == .scalar(",") || next == .end {
            return Filter.Selector(fieldPath: fieldPath, op: .present, value: "", regex: nil)
        }
        let op = try self.operator()
        let value = try self.value(allowAlternativeQuotes: op == .matches)
        var regex: Regex<AnyRegexOutput>?
        if op == .matches {
            do {
                regex = try Regex(value)
            } catch {
                throw MetadataError.invalid("filters: invalid regular expression \"\(value)\": \(error)")
            }
        }
        return Filter.Selector(fieldPath: fieldPath, op: op, value: value, regex: regex)
    }

    private mutating func fieldPath() throws -> [String] {
        var fields = [try field()]
        while scanner.peek() == .scalar(".") {
            let (position, token) = scanner.scan()
            guard case .separator = token else {
                throw error(position, "expected a field separator (`.`)")
            }
            fields.append(try field())
        }
        return fields
    }

    private mutating func field() throws -> String {
        let (position, token) = scanner.scan()
        switch token {
        case .field(let text):
            return text
        case .quoted(let text):
            return try unquote(position, text, allowAlternatives: false)
        case .illegal(let message):
            throw error(position, message)
        default:
            throw error(position, "expected field or quoted")
        }
    }

    private mutating func `operator`() throws -> Filter.Operator {
        let (position, token) = scanner.scan()
        switch token {
        case .operator(let text):
            switch text {
            case "==": return .equal
            case "!=": return .notEqual
            case "~=": return .matches
            default: throw error(position, "unsupported operator \"\(text)\"")
            }
        case .illegal(let message):
            throw error(position, message)
        default:
            throw error(position, #"expected an operator ("=="|"!="|"~=")"#)
        }
    }

    private mutating func value(allowAlternativeQuotes: Bool) throws -> String {
        let (position, token) = scanner.scan()
        switch token {
        case .value(let text), .field(let text):
            return text
        case .quoted(let text):
            return try unquote(position, text, allowAlternatives: allowAlternativeQuotes)
        case .illegal(let message):
            throw error(position, message)
        default:
            throw error(position, "expected value or quoted")
        }
    }

    private func unquote(_ position: Int, _ text: String, allowAlternatives: Bool) throws -> String {
        let first = text.unicodeScalars.first
        if !allowAlternatives && first != "'" && first != "\"" {
            throw error(position, "invalid quote encountered")
        }
        guard let unquoted = FilterQuote.unquote(text) else {
            throw error(position, "unquoting failed: quote syntax error")
        }
        return unquoted
    }

    private func error(_ position: Int, _ message: String) -> MetadataError {
        var view = String.UnicodeScalarView()
        if position < input.count {
            view.append(contentsOf: input[..<position])
            view.append(contentsOf: " >|".unicodeScalars)
            view.append(input[position])
            view.append(contentsOf: "|< ".unicodeScalars)
            view.append(contentsOf: input[(position + 1)...])
        } else {
            view.append(contentsOf: input)
        }
        return MetadataError.invalid("filters: parse error: [\(String(view))]: \(message)")
    }
}
