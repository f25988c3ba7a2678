public import BerthOCI

/// An image: a name mapped to a target descriptor (a manifest or index),
/// with labels.
public struct Image: Hashable, Sendable {
    public var name: String
    public var target: Descriptor
    public var labels: [String: String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        name: String, target: Descriptor, labels: [String: String] = [:],
        createdAt: Timestamp = Timestamp(nanoseconds: 0), updatedAt: Timestamp = Timestamp(nanoseconds: 0)
    ) {
        self.name = name
        self.target = target
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension Image: Filterable {
    /// Filter fields: `name`, `target.digest`, `target.mediatype`,
    /// `labels.<key>`, `annotations.<key>` (the target's annotations).
    public func filterField(_ fieldPath: [String]) -> String? {
        switch fieldPath.first {
        case "name":
            return fieldPath.count == 1 ? name : nil
        case "target":
            guard fieldPath.count == 2 else { return nil }
            switch fieldPath[1] {
            case "digest": return target.digest.string
            case "mediatype": return target.mediaType.rawValue
            default: return nil
            }
        case "labels":
            return Filter.lookup(fieldPath.dropFirst(), in: labels)
        case "annotations":
            return Filter.lookup(fieldPath.dropFirst(), in: target.annotations ?? [:])
        default:
            return nil
        }
    }
}
