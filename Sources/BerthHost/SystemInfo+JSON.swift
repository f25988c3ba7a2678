#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

extension SystemInfo {
    /// The report as pretty-printed JSON with sorted keys.
    public func renderJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Decodes a report produced by ``renderJSON()``.
    public static func decode(json: Data) throws -> SystemInfo {
        try JSONDecoder().decode(SystemInfo.self, from: json)
    }
}
