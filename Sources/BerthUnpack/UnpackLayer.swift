import BerthErrors
public import BerthArchive
public import BerthOCI

/// One layer of an image to unpack: the compressed blob's descriptor, its
/// uncompressed digest from the image config, and where its bytes come from.
public struct UnpackLayer: Sendable {
    /// The layer blob (its digest names the layer in errors).
    public var descriptor: Descriptor
    /// `rootfs.diff_ids[i]` of the image config.
    public var diffID: Digest
    /// Opens the blob's bytes; called on the unpack thread, once. The source
    /// is closed when the layer is done or abandoned.
    public var open: @Sendable () throws -> any ByteSource

    public init(descriptor: Descriptor, diffID: Digest, open: @escaping @Sendable () throws -> any ByteSource) {
        self.descriptor = descriptor
        self.diffID = diffID
        self.open = open
    }

    /// A layer read from a file (a content store blob).
    public init(descriptor: Descriptor, diffID: Digest, path: String) {
        self.init(descriptor: descriptor, diffID: diffID) { try FileDescriptorSource(path: path) }
    }

    /// A layer fed while it downloads: the producer sends into `channel`.
    /// If unpacking fails or is abandoned, the channel is closed and the
    /// producer's next send throws.
    public init(descriptor: Descriptor, diffID: Digest, channel: ByteChannel) {
        self.init(descriptor: descriptor, diffID: diffID) { channel }
    }
}
