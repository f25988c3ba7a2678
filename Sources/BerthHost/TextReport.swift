/// Plain-text layout for reports meant to be pasted into a bug report:
/// section headings, then `Key: value` lines whose values line up.
struct TextReport {
    /// One line of a section: a key and value, or a nested group.
    enum Row {
        case field(String, String)
        case group(String, [Row])
    }

    /// A heading and its rows.
    struct Section {
        var title: String
        var rows: [Row]
    }

    var sections: [Section] = []

    /// The report as text, sections separated by blank lines.
    func render() -> String {
        sections.map { section in
            ([section.title + ":"] + Self.render(section.rows, depth: 1)).joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n"
    }

    /// Renders rows with values aligned across the fields of one level.
    private static func render(_ rows: [Row], depth: Int) -> [String] {
        let indent = String(repeating: "  ", count: depth)
        let width =
            rows.compactMap { row -> Int? in
                if case .field(let key, _) = row { return key.count }
                return nil
            }.max() ?? 0
        var lines: [String] = []
        for row in rows {
            switch row {
            case .field(let key, let value):
                let padding = String(repeating: " ", count: width - key.count)
                lines.append("\(indent)\(key):\(padding) \(value)")
            case .group(let title, let children):
                lines.append("\(indent)\(title):")
                lines += render(children, depth: depth + 1)
            }
        }
        return lines
    }
}
