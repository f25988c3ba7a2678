public import BerthMetadata
public import BerthOCI

/// The state of an in-progress write (containerd `Status`).
public struct IngestStatus: Hashable, Sendable {
    /// The ref the client chose for the write.
    public var ref: String
    /// Bytes written so far: where a resumed write continues.
    public var offset: Int64
    /// The expected total size, or 0 if unknown.
    public var total: Int64
    /// The expected digest, if the client gave one.
    public var expected: Digest?
    public var startedAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        ref: String, offset: Int64, total: Int64 = 0, expected: Digest? = nil,
        startedAt: Timestamp = Timestamp(nanoseconds: 0), updatedAt: Timestamp = Timestamp(nanoseconds: 0)
    ) {
        self.ref = ref
        self.offset = offset
        self.total = total
        self.expected = expected
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }
}

extension IngestStatus: Filterable {
    /// Filter fields: `ref`.
    public func filterField(_ fieldPath: [String]) -> String? {
        fieldPath == ["ref"] ? ref : nil
    }
}
