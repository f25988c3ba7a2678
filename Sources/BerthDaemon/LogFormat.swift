/// How berthd writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `time level [label] message key=value …`
    case text
    /// One JSON object per line: `time`, `level`, `msg`, then metadata.
    case json
}
