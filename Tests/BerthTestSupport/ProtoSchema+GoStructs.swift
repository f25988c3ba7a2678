import Foundation

extension ProtoSchema {
    /// Reads messages declared as Go structs with `protobuf:"…"` field tags,
    /// as ttrpc v1.1.1 declares `Request`, `Response` and `KeyValue`.
    ///
    /// Field types come from the tag's wire kind and the Go type: `varint`
    /// with `int64` is `int64`, `bytes` with `string` is `string`, with
    /// `[]byte` is `bytes`, and with `*T`/`[]*T` is a message. Message types
    /// are named `package.T`, except those listed in `externalTypes`
    /// (Go type → proto full name, e.g. `spb.Status` → `google.rpc.Status`).
    public static func parseGoStructs(
        _ path: String,
        package: String,
        externalTypes: [String: String] = [:]
    ) throws -> ProtoSchema {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var schema = ProtoSchema()
        var file = File(path: path, package: package, imports: [], messageNames: [], enumNames: [], serviceNames: [])
        var current: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if current == nil {
                let words = line.split(separator: " ")
                if words.count >= 4, words[0] == "type", words[2] == "struct", words[3] == "{" {
                    let name = "\(package).\(words[1])"
                    current = name
                    schema.messages[name] = Message(fullName: name, file: path, fields: [])
                    file.messageNames.append(name)
                }
                continue
            }
            if line == "}" {
                current = nil
                continue
            }
            guard let name = current,
                let field = try goField(line, package: package, externalTypes: externalTypes, path: path)
            else { continue }
            schema.messages[name]?.fields.append(field)
        }
        schema.files[path] = file
        return schema
    }

    private static func goField(
        _ line: String,
        package: String,
        externalTypes: [String: String],
        path: String
    ) throws -> Field? {
        guard let tagStart = line.range(of: "protobuf:\"") else { return nil }
        let tag = line[tagStart.upperBound...].prefix { $0 != "\"" }
        let parts = tag.split(separator: ",").map(String.init)
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, words.count >= 2, let number = Int(parts[1]),
            let nameTag = parts.first(where: { $0.hasPrefix("name=") })
        else { throw ProtoParseError(file: path, message: "unreadable protobuf tag: \(line)") }

        let goType = words[1]
        let label: Label = parts[2] == "rep" ? .repeated : .singular
        let element = goType.replacingOccurrences(of: "[]", with: "", options: .anchored)
        let type: String
        switch (parts[0], goType) {
        case ("bytes", "string"), ("bytes", "[]string"): type = "string"
        case ("bytes", "[]byte"): type = "bytes"
        case ("bytes", _):
            let bare = element.hasPrefix("*") ? String(element.dropFirst()) : element
            type = externalTypes[bare] ?? "\(package).\(bare)"
        case ("varint", let scalar): type = scalar == "[]bool" || scalar == "bool" ? "bool" : element
        case ("fixed32", _): type = "fixed32"
        case ("fixed64", _): type = "fixed64"
        default: throw ProtoParseError(file: path, message: "unsupported wire kind \(parts[0]): \(line)")
        }
        return Field(name: String(nameTag.dropFirst(5)), number: number, type: type, label: label, oneof: nil)
    }
}
