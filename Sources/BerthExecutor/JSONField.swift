/// Reads one top-level string field from a one-line JSON object, enough for
/// executor log lines; no general JSON parsing.
enum JSONField {
    /// The unescaped value of `"key": "value"` in `line`, or nil.
    static func string(_ key: String, in line: Substring) -> String? {
        guard let keyRange = line.firstRange(of: "\"" + key + "\"") else { return nil }
        var index = keyRange.upperBound
        while index < line.endIndex, line[index] == " " || line[index] == ":" { index = line.index(after: index) }
        guard index < line.endIndex, line[index] == "\"" else { return nil }
        index = line.index(after: index)
        var result = ""
        while index < line.endIndex {
            let character = line[index]
            if character == "\"" { return result }
            if character == "\\" {
                index = line.index(after: index)
                guard index < line.endIndex else { return result }
                switch line[index] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                default: result.append(line[index])
                }
            } else {
                result.append(character)
            }
            index = line.index(after: index)
        }
        return result
    }
}
