/// A protobuf `Any`, stored byte for byte: the container spec is JSON under
/// `types.containerd.io/opencontainers/runtime-spec/1/Spec`.
public struct TypedValue: Hashable, Sendable {
    public var typeURL: String
    public var value: [UInt8]

    public init(typeURL: String, value: [UInt8]) {
        self.typeURL = typeURL
        self.value = value
    }
}

/// A container record (metadata only; tasks belong to shims).
public struct Container: Hashable, Sendable {
    /// The runtime that runs the container's tasks.
    public struct Runtime: Hashable, Sendable {
        public var name: String
        public var options: TypedValue?

        public init(name: String, options: TypedValue? = nil) {
            self.name = name
            self.options = options
        }
    }

    public var id: String
    public var labels: [String: String]
    public var image: String
    public var runtime: Runtime
    public var spec: TypedValue?
    public var snapshotter: String
    public var snapshotKey: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var extensions: [String: TypedValue]

    public init(
        id: String, labels: [String: String] = [:], image: String = "", runtime: Runtime, spec: TypedValue?,
        snapshotter: String = "", snapshotKey: String = "", createdAt: Timestamp = Timestamp(nanoseconds: 0),
        updatedAt: Timestamp = Timestamp(nanoseconds: 0), extensions: [String: TypedValue] = [:]
    ) {
        self.id = id
        self.labels = labels
        self.image = image
        self.runtime = runtime
        self.spec = spec
        self.snapshotter = snapshotter
        self.snapshotKey = snapshotKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.extensions = extensions
    }
}

extension Container: Filterable {
    /// Filter fields: `id`, `image`, `runtime.name`, `snapshotter`,
    /// `snapshotkey`, `labels.<key>`.
    public func filterField(_ fieldPath: [String]) -> String? {
        switch fieldPath.first {
        case "id": fieldPath.count == 1 ? id : nil
        case "image": fieldPath.count == 1 ? image : nil
        case "runtime": fieldPath == ["runtime", "name"] ? runtime.name : nil
        case "snapshotter": fieldPath.count == 1 ? snapshotter : nil
        case "snapshotkey": fieldPath.count == 1 ? snapshotKey : nil
        case "labels": Filter.lookup(fieldPath.dropFirst(), in: labels)
        default: nil
        }
    }
}
