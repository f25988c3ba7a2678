import BerthOCI
import Foundation

/// Fixture files and JSON helpers shared by the BerthOCI tests.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    static let configs = [
        "config-maximal-linux.json",
        "config-typical-runc.json",
        "config-windows.json",
        "config-solaris.json",
        "config-vm.json",
        "config-zos.json",
    ]

    static let states = ["state.json", "state-creating.json"]

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func spec(_ name: String) throws -> Spec {
        try JSONDecoder().decode(Spec.self, from: data(name))
    }
}

enum JSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func object(_ data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Every difference between two parsed JSON documents, as
    /// `path: description` lines; empty when they are equal. Booleans never
    /// equal numbers; numbers compare by value.
    static func differences(_ lhs: Any, _ rhs: Any, path: String = "$") -> [String] {
        switch (lhs, rhs) {
        case (let left as [String: Any], let right as [String: Any]):
            var result: [String] = []
            for key in Set(left.keys).union(right.keys).sorted() {
                switch (left[key], right[key]) {
                case (let l?, let r?): result += differences(l, r, path: "\(path).\(key)")
                case (_?, nil): result.append("\(path).\(key): only in the first document")
                case (nil, _?): result.append("\(path).\(key): only in the second document")
                case (nil, nil): break
                }
            }
            return result
        case (let left as [Any], let right as [Any]):
            if left.count != right.count {
                return ["\(path): \(left.count) items vs \(right.count)"]
            }
            return zip(left, right).enumerated().flatMap { index, pair in
                differences(pair.0, pair.1, path: "\(path)[\(index)]")
            }
        case (let left as NSNumber, let right as NSNumber):
            if isBool(left) != isBool(right) || !left.isEqual(right) {
                return ["\(path): \(left) vs \(right)"]
            }
            return []
        case (let left as String, let right as String):
            return left == right ? [] : ["\(path): \"\(left)\" vs \"\(right)\""]
        case (is NSNull, is NSNull):
            return []
        default:
            return ["\(path): \(type(of: lhs)) \(lhs) vs \(type(of: rhs)) \(rhs)"]
        }
    }

    private static func isBool(_ number: NSNumber) -> Bool {
        String(describing: type(of: number)).contains("Boolean")
    }
}
