import Foundation

extension ProtoSchema {
    /// Parses .proto files into one schema and resolves type names across them.
    ///
    /// - Parameter files: paths; each is recorded under the path given.
    public static func parse(files: [String]) throws -> ProtoSchema {
        var schema = ProtoSchema()
        var pending: [PendingField] = []
        var pendingMethods: [PendingMethod] = []
        for path in files {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var parser = ProtoParser(path: path, tokens: try ProtoTokenizer.tokenize(text, path: path))
            try parser.parseFile(into: &schema, pending: &pending, pendingMethods: &pendingMethods)
        }
        for field in pending {
            let type: String
            if let key = field.mapKey {
                type =
                    "map<\(schema.resolve(key, scope: field.scope)),\(schema.resolve(field.rawType, scope: field.scope))>"
            } else {
                type = schema.resolve(field.rawType, scope: field.scope)
            }
            schema.messages[field.message]?.fields.append(
                Field(name: field.name, number: field.number, type: type, label: field.label, oneof: field.oneof)
            )
        }
        for method in pendingMethods {
            var resolved = method.method
            resolved.input = schema.resolve(method.method.input, scope: method.scope)
            resolved.output = schema.resolve(method.method.output, scope: method.scope)
            schema.services[method.service]?.methods.append(resolved)
        }
        return schema
    }

    /// Resolves `name` as protoc does, from the innermost scope outwards.
    /// Names defined nowhere in this schema are returned as written.
    func resolve(_ name: String, scope: String) -> String {
        if name.hasPrefix(".") { return String(name.dropFirst()) }
        if Self.scalarTypes.contains(name) { return name }
        var parts = scope.split(separator: ".").map(String.init)
        while true {
            let candidate = (parts + [name]).joined(separator: ".")
            if messages[candidate] != nil || enums[candidate] != nil { return candidate }
            if parts.isEmpty { return name }
            parts.removeLast()
        }
    }
}

struct PendingField {
    var message: String
    var scope: String
    var name: String
    var number: Int
    var rawType: String
    var mapKey: String?
    var label: ProtoSchema.Label
    var oneof: String?
}

struct PendingMethod {
    var service: String
    var scope: String
    var method: ProtoSchema.Method
}

enum ProtoToken: Equatable {
    case identifier(String)
    case number(String)
    case string(String)
    case symbol(Character)
}

enum ProtoTokenizer {
    static func tokenize(_ text: String, path: String) throws -> [ProtoToken] {
        var tokens: [ProtoToken] = []
        let chars = Array(text)
        var index = 0
        func peek(_ offset: Int = 0) -> Character? {
            index + offset < chars.count ? chars[index + offset] : nil
        }
        while let char = peek() {
            if char.isWhitespace {
                index += 1
            } else if char == "/", peek(1) == "/" {
                while let next = peek(), next != "\n" { index += 1 }
            } else if char == "/", peek(1) == "*" {
                index += 2
                while peek() != nil, !(peek() == "*" && peek(1) == "/") { index += 1 }
                index += 2
            } else if char == "\"" || char == "'" {
                index += 1
                var value = ""
                while let next = peek(), next != char {
                    if next == "\\", let escaped = peek(1) {
                        value.append(escaped)
                        index += 2
                    } else {
                        value.append(next)
                        index += 1
                    }
                }
                guard peek() == char else { throw ProtoParseError(file: path, message: "unterminated string") }
                index += 1
                tokens.append(.string(value))
            } else if char.isLetter || char == "_" || (char == "." && peek(1)?.isLetter == true) {
                var value = ""
                while let next = peek(), next.isLetter || next.isNumber || next == "_" || next == "." {
                    value.append(next)
                    index += 1
                }
                tokens.append(.identifier(value))
            } else if char.isNumber || (char == "-" && peek(1)?.isNumber == true) {
                var value = String(char)
                index += 1
                while let next = peek(), next.isLetter || next.isNumber || next == "." {
                    value.append(next)
                    index += 1
                }
                tokens.append(.number(value))
            } else {
                tokens.append(.symbol(char))
                index += 1
            }
        }
        return tokens
    }
}

struct ProtoParser {
    let path: String
    let tokens: [ProtoToken]
    var index = 0
    var package = ""

    init(path: String, tokens: [ProtoToken]) {
        self.path = path
        self.tokens = tokens
    }

    // MARK: token helpers

    func error(_ message: String) -> ProtoParseError {
        ProtoParseError(file: path, message: "\(message) at token \(index): \(peek().map { "\($0)" } ?? "EOF")")
    }

    func peek() -> ProtoToken? { index < tokens.count ? tokens[index] : nil }

    mutating func next() throws -> ProtoToken {
        guard let token = peek() else { throw error("unexpected end of file") }
        index += 1
        return token
    }

    mutating func identifier() throws -> String {
        guard case .identifier(let value) = try next() else { throw error("expected an identifier") }
        return value
    }

    mutating func number() throws -> Int {
        guard case .number(let text) = try next() else { throw error("expected a number") }
        let value = text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        guard let value else { throw error("bad number \(text)") }
        return value
    }

    mutating func expect(_ symbol: Character) throws {
        guard try next() == .symbol(symbol) else { throw error("expected \(symbol)") }
    }

    mutating func accept(_ symbol: Character) -> Bool {
        guard peek() == .symbol(symbol) else { return false }
        index += 1
        return true
    }

    mutating func acceptKeyword(_ word: String) -> Bool {
        guard peek() == .identifier(word) else { return false }
        index += 1
        return true
    }

    /// Skips to just after the next `;` at this nesting level, or past a
    /// balanced `{…}` block if one comes first (e.g. an aggregate option).
    mutating func skipStatement() throws {
        var depth = 0
        while true {
            let token = try next()
            switch token {
            case .symbol("{"), .symbol("["), .symbol("("): depth += 1
            case .symbol("}"), .symbol("]"), .symbol(")"):
                depth -= 1
                if depth == 0, token == .symbol("}"), peek() != .symbol(";") { return }
            case .symbol(";") where depth == 0: return
            default: break
            }
        }
    }

    /// Skips a balanced block starting at the current `{`.
    mutating func skipBlock() throws {
        try expect("{")
        var depth = 1
        while depth > 0 {
            switch try next() {
            case .symbol("{"): depth += 1
            case .symbol("}"): depth -= 1
            default: break
            }
        }
    }

    /// Skips `[ … ]` field options if present.
    mutating func skipFieldOptions() throws {
        guard peek() == .symbol("[") else { return }
        var depth = 0
        repeat {
            switch try next() {
            case .symbol("["): depth += 1
            case .symbol("]"): depth -= 1
            default: break
            }
        } while depth > 0
    }

    // MARK: grammar

    mutating func parseFile(
        into schema: inout ProtoSchema,
        pending: inout [PendingField],
        pendingMethods: inout [PendingMethod]
    ) throws {
        var file = ProtoSchema.File(
            path: path, package: "", imports: [], messageNames: [], enumNames: [], serviceNames: []
        )
        while let token = peek() {
            switch token {
            case .symbol(";"):
                index += 1
            case .identifier("syntax"), .identifier("edition"), .identifier("option"):
                try skipStatement()
            case .identifier("package"):
                index += 1
                package = try identifier()
                file.package = package
                try expect(";")
            case .identifier("import"):
                index += 1
                _ = acceptKeyword("weak") || acceptKeyword("public")
                guard case .string(let imported) = try next() else { throw error("expected an import path") }
                file.imports.append(imported)
                try expect(";")
            case .identifier("message"):
                index += 1
                try parseMessage(scope: package, file: &file, schema: &schema, pending: &pending)
            case .identifier("enum"):
                index += 1
                try parseEnum(scope: package, file: &file, schema: &schema)
            case .identifier("service"):
                index += 1
                try parseService(file: &file, schema: &schema, pendingMethods: &pendingMethods)
            case .identifier("extend"):
                index += 1
                _ = try identifier()
                try skipBlock()
            default:
                throw error("unexpected top-level token")
            }
        }
        schema.files[path] = file
    }

    static func join(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : "\(scope).\(name)"
    }

    mutating func parseMessage(
        scope: String,
        file: inout ProtoSchema.File,
        schema: inout ProtoSchema,
        pending: inout [PendingField]
    ) throws {
        let fullName = Self.join(scope, try identifier())
        schema.messages[fullName] = ProtoSchema.Message(fullName: fullName, file: path, fields: [])
        file.messageNames.append(fullName)
        try expect("{")
        try parseMessageBody(fullName, oneof: nil, file: &file, schema: &schema, pending: &pending)
    }

    mutating func parseMessageBody(
        _ fullName: String,
        oneof: String?,
        file: inout ProtoSchema.File,
        schema: inout ProtoSchema,
        pending: inout [PendingField]
    ) throws {
        while !accept("}") {
            switch peek() {
            case .symbol(";"):
                index += 1
            case .identifier("option"), .identifier("reserved"), .identifier("extensions"):
                try skipStatement()
            case .identifier("message"):
                index += 1
                try parseMessage(scope: fullName, file: &file, schema: &schema, pending: &pending)
            case .identifier("enum"):
                index += 1
                try parseEnum(scope: fullName, file: &file, schema: &schema)
            case .identifier("extend"):
                index += 1
                _ = try identifier()
                try skipBlock()
            case .identifier("oneof"):
                index += 1
                let name = try identifier()
                try expect("{")
                try parseMessageBody(fullName, oneof: name, file: &file, schema: &schema, pending: &pending)
            case .identifier:
                pending.append(try parseField(message: fullName, oneof: oneof))
            default:
                throw error("unexpected token in message \(fullName)")
            }
        }
    }

    mutating func parseField(message: String, oneof: String?) throws -> PendingField {
        var label = ProtoSchema.Label.singular
        if acceptKeyword("repeated") {
            label = .repeated
        } else if acceptKeyword("optional") {
            label = .optional
        } else if acceptKeyword("required") {
            label = .singular
        }
        var mapKey: String?
        let rawType: String
        if acceptKeyword("map") {
            try expect("<")
            mapKey = try identifier()
            try expect(",")
            rawType = try identifier()
            try expect(">")
            label = .map
        } else {
            rawType = try identifier()
        }
        let name = try identifier()
        try expect("=")
        let number = try number()
        try skipFieldOptions()
        try expect(";")
        return PendingField(
            message: message, scope: message, name: name, number: number,
            rawType: rawType, mapKey: mapKey, label: label, oneof: oneof
        )
    }

    mutating func parseEnum(scope: String, file: inout ProtoSchema.File, schema: inout ProtoSchema) throws {
        let fullName = Self.join(scope, try identifier())
        var values: [String: Int] = [:]
        try expect("{")
        while !accept("}") {
            switch peek() {
            case .symbol(";"):
                index += 1
            case .identifier("option"), .identifier("reserved"):
                try skipStatement()
            case .identifier:
                let name = try identifier()
                try expect("=")
                values[name] = try number()
                try skipFieldOptions()
                try expect(";")
            default:
                throw error("unexpected token in enum \(fullName)")
            }
        }
        schema.enums[fullName] = ProtoSchema.Enum(fullName: fullName, file: path, values: values)
        file.enumNames.append(fullName)
    }

    mutating func parseService(
        file: inout ProtoSchema.File,
        schema: inout ProtoSchema,
        pendingMethods: inout [PendingMethod]
    ) throws {
        let fullName = Self.join(package, try identifier())
        schema.services[fullName] = ProtoSchema.Service(fullName: fullName, file: path, methods: [])
        file.serviceNames.append(fullName)
        try expect("{")
        while !accept("}") {
            switch peek() {
            case .symbol(";"):
                index += 1
            case .identifier("option"):
                try skipStatement()
            case .identifier("rpc"):
                index += 1
                let name = try identifier()
                try expect("(")
                let clientStreaming = acceptKeyword("stream")
                let input = try identifier()
                try expect(")")
                guard acceptKeyword("returns") else { throw error("expected returns") }
                try expect("(")
                let serverStreaming = acceptKeyword("stream")
                let output = try identifier()
                try expect(")")
                if peek() == .symbol("{") {
                    try skipBlock()
                } else {
                    try expect(";")
                }
                let method = ProtoSchema.Method(
                    name: name, input: input, output: output,
                    clientStreaming: clientStreaming, serverStreaming: serverStreaming
                )
                pendingMethods.append(PendingMethod(service: fullName, scope: package, method: method))
            default:
                throw error("unexpected token in service \(fullName)")
            }
        }
    }
}
