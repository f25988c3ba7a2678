import Foundation

/// The wire-relevant shape of a set of .proto files: packages, messages,
/// enums and services, with every type name resolved to its full name.
///
/// Built by ``ProtoSchema/parse(files:)`` from .proto text (a small parser
/// for the proto2/proto3 subset that containerd's and Berth's files use) or
/// by ``ProtoSchema/parseGoStructs(_:package:)`` from Go structs with
/// protobuf tags (ttrpc declares its messages that way). Wire-compatibility
/// tests compare two schemas. Options, comments and field options are
/// ignored: they do not change the wire format.
public struct ProtoSchema: Sendable {
    /// How a field repeats.
    public enum Label: String, Sendable, CustomStringConvertible {
        case singular
        case optional
        case repeated
        case map

        public var description: String { rawValue }
    }

    /// One field: name, number, resolved type and label.
    public struct Field: Hashable, Sendable, CustomStringConvertible {
        public var name: String
        public var number: Int
        /// A scalar (`string`, `uint32`, …), a full name (`containerd.types.Mount`),
        /// or `map<K,V>` with resolved key and value types.
        public var type: String
        public var label: Label
        /// The oneof the field belongs to, if any.
        public var oneof: String?

        public var description: String {
            "\(number):\(label == .singular ? "" : "\(label) ")\(type) \(name)\(oneof.map { " (oneof \($0))" } ?? "")"
        }
    }

    /// A message; nested messages are listed separately under their full names.
    public struct Message: Sendable {
        public var fullName: String
        public var file: String
        public var fields: [Field]

        /// Fields ordered by number.
        public var sortedFields: [Field] { fields.sorted { $0.number < $1.number } }
    }

    /// An enum and its values.
    public struct Enum: Sendable {
        public var fullName: String
        public var file: String
        public var values: [String: Int]
    }

    /// One rpc.
    public struct Method: Hashable, Sendable, CustomStringConvertible {
        public var name: String
        public var input: String
        public var output: String
        public var clientStreaming: Bool
        public var serverStreaming: Bool

        public var description: String {
            "\(name)(\(clientStreaming ? "stream " : "")\(input)) -> \(serverStreaming ? "stream " : "")\(output)"
        }
    }

    /// A service and its methods in declaration order.
    public struct Service: Sendable {
        public var fullName: String
        public var file: String
        public var methods: [Method]
    }

    /// One parsed file.
    public struct File: Sendable {
        public var path: String
        public var package: String
        public var imports: [String]
        public var messageNames: [String]
        public var enumNames: [String]
        public var serviceNames: [String]
    }

    public internal(set) var files: [String: File] = [:]
    public internal(set) var messages: [String: Message] = [:]
    public internal(set) var enums: [String: Enum] = [:]
    public internal(set) var services: [String: Service] = [:]

    public init() {}

    /// This schema plus `other`'s definitions (`other` wins on a clash).
    public func merging(_ other: ProtoSchema) -> ProtoSchema {
        var merged = self
        merged.files.merge(other.files) { $1 }
        merged.messages.merge(other.messages) { $1 }
        merged.enums.merge(other.enums) { $1 }
        merged.services.merge(other.services) { $1 }
        return merged
    }

    /// The packages declared by the parsed files.
    public var packages: Set<String> { Set(files.values.map(\.package)) }

    /// Scalar type names of the protobuf language.
    public static let scalarTypes: Set<String> = [
        "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
        "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
    ]

    /// Message types reachable from `roots` through fields (map values
    /// included), as full names; names with no definition in this schema are
    /// included too, so callers can see what is missing.
    public func closure(of roots: [String]) -> Set<String> {
        var seen: Set<String> = []
        var queue = roots
        while let name = queue.popLast() {
            guard seen.insert(name).inserted, let message = messages[name] else { continue }
            for field in message.fields {
                queue.append(contentsOf: Self.referencedTypes(in: field.type))
            }
        }
        return seen
    }

    /// The non-scalar type names inside a field type (both sides of a map).
    public static func referencedTypes(in type: String) -> [String] {
        if type.hasPrefix("map<"), type.hasSuffix(">") {
            return type.dropFirst(4).dropLast().split(separator: ",").map(String.init)
                .filter { !scalarTypes.contains($0) }
        }
        return scalarTypes.contains(type) ? [] : [type]
    }
}

/// A .proto file that could not be parsed.
public struct ProtoParseError: Error, CustomStringConvertible {
    public var file: String
    public var message: String

    public var description: String { "\(file): \(message)" }
}
