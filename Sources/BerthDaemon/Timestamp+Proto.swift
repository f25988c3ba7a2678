import BerthMetadata
import SwiftProtobuf

extension Google_Protobuf_Timestamp {
    /// The protobuf form of a metadata timestamp.
    init(_ timestamp: Timestamp) {
        self.init(seconds: timestamp.seconds, nanos: timestamp.nanos)
    }
}
