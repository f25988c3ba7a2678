import SwiftProtobuf

extension Google_Protobuf_Any {
    /// The prefix SwiftProtobuf and the Go protobuf runtime put before type
    /// names by default, and that containerd does not use.
    public static let googleAPIsPrefix = "type.googleapis.com/"

    /// Packs `message` the way containerd does: the type URL is the bare
    /// proto full name (`containerd.events.TaskExit`), without the
    /// `type.googleapis.com/` prefix that makes ctr drop an event.
    public init(containerdPacking message: some Message) throws(ShimProtoError) {
        self.init()
        typeURL = type(of: message).protoMessageName
        do {
            value = try message.serializedBytes()
        } catch {
            throw .unencodable(type(of: message).protoMessageName, reason: "\(error)")
        }
    }

    /// The proto full name of the packed message: the type URL after its
    /// last `/`, if any (so both bare and prefixed URLs are understood).
    public var messageName: String {
        guard let slash = typeURL.lastIndex(of: "/") else { return typeURL }
        return String(typeURL[typeURL.index(after: slash)...])
    }

    /// Whether this holds an `M`.
    public func holds<M: Message>(_ type: M.Type) -> Bool {
        messageName == M.protoMessageName
    }

    /// The packed message, decoded as `M`.
    ///
    /// - Throws: `invalidArgument` if this holds another type or the bytes
    ///   do not decode.
    public func unpack<M: Message>(_ type: M.Type = M.self) throws(ShimProtoError) -> M {
        guard holds(type) else { throw .typeMismatch(expected: M.protoMessageName, found: typeURL) }
        do {
            return try M(serializedBytes: value)
        } catch {
            throw .malformed(M.protoMessageName, reason: "\(error)")
        }
    }
}
