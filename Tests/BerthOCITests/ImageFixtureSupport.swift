import BerthOCI
import Foundation

/// Image-spec fixture files under `Fixtures/image`, read relative to this file.
///
/// The manifests reference the config fixtures by their real digest and size,
/// so editing `oci-config.json` or `docker-config.json` means updating
/// `oci-manifest.json` / `docker-manifest.json` (and the artifact's subject).
enum ImageFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("image")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        try [UInt8](data(name))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: data(name))
    }

    static func decode<T: Decodable>(_ type: T.Type, json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    /// The parsed JSON object of an encoded value.
    static func encodedObject(_ value: some Encodable) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        guard let dictionary = object as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        return dictionary
    }

    /// `value` with every `null` object member removed, recursively: the model
    /// treats `null` as absent, and absent fields are omitted on encode.
    static func removingNulls(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]:
            dictionary.filter { !($0.value is NSNull) }.mapValues(removingNulls)
        case let array as [Any]:
            array.map(removingNulls)
        default:
            value
        }
    }

    /// Whether a parsed JSON document contains a `null` anywhere.
    static func containsNull(_ value: Any) -> Bool {
        switch value {
        case is NSNull: true
        case let dictionary as [String: Any]: dictionary.values.contains(where: containsNull)
        case let array as [Any]: array.contains(where: containsNull)
        default: false
        }
    }
}
