#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ttrpc call: service, method, serialized request, timeout and metadata.
public typealias TTRPCRequest = Ttrpc_Request

/// A ttrpc answer: a status (absent or 0 on success) and the serialized
/// response.
public typealias TTRPCResponse = Ttrpc_Response

/// One metadata entry of a ``TTRPCRequest``.
public typealias TTRPCKeyValue = Ttrpc_KeyValue

/// The status of a failed call (`google.rpc.Status`).
public typealias TTRPCStatus = Google_Rpc_Status

extension Ttrpc_Request {
    /// The metadata key containerd uses for the namespace over ttrpc.
    public static let namespaceMetadataKey = "containerd-namespace-ttrpc"

    /// Makes a request.
    ///
    /// - Parameters:
    ///   - service: full service name, e.g. `containerd.task.v2.Task`.
    ///   - method: method name, e.g. `Create`.
    ///   - payload: the serialized request message.
    ///   - timeoutNanoseconds: the deadline relative to receipt; 0 for none.
    ///   - metadata: key-value pairs, in order; a key may repeat.
    public init(
        service: String,
        method: String,
        payload: [UInt8],
        timeoutNanoseconds: Int64 = 0,
        metadata: [(key: String, value: String)] = []
    ) {
        self.init()
        self.service = service
        self.method = method
        self.payload = .init(payload)
        self.timeoutNano = timeoutNanoseconds
        self.metadata = metadata.map { pair in
            var entry = TTRPCKeyValue()
            entry.key = pair.key
            entry.value = pair.value
            return entry
        }
    }

    /// Every value of metadata key `key`, in order.
    public func metadataValues(_ key: String) -> [String] {
        metadata.filter { $0.key == key }.map(\.value)
    }

    /// The containerd namespace the call is made in, if given.
    public var namespace: String? {
        metadataValues(Self.namespaceMetadataKey).first
    }
}

extension Ttrpc_Response {
    /// A successful answer carrying `payload`.
    public init(payload: [UInt8]) {
        self.init()
        self.payload = .init(payload)
    }

    /// A failed answer carrying `error`'s status.
    public init(error: TTRPCError) {
        self.init()
        self.status = error.status
    }

    /// The payload on success, or the peer's error; `streamID` is recorded
    /// in the error.
    public func result(streamID: UInt32? = nil) -> Result<[UInt8], TTRPCError> {
        if hasStatus, status.code != 0 {
            return .failure(TTRPCError(status: status, streamID: streamID))
        }
        return .success(Array(payload))
    }
}
