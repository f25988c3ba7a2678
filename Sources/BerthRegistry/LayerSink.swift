public import BerthArchive
public import BerthOCI

/// Receives layer bytes while they download, so unpacking can run alongside
/// the transfer (the unpacker decompresses and applies pushed chunks).
///
/// The pull fetches the image configs first, then asks the sink once per
/// layer it is about to download, passing the image (with its decoded config,
/// whose `rootfs.diff_ids[index]` the unpacker verifies). The sink is asked
/// for every layer before any layer download starts. Layers already in the
/// content store are not offered (unpack them from the store); `PullResult`
/// says which layers were streamed.
public protocol LayerSink: Sendable {
    /// A consumer for `layer`, the `index`-th layer of `image`, or `nil` to skip it.
    func consumer(for layer: Descriptor, index: Int, image: PulledImage) async throws -> (any LayerConsumer)?
}

/// Consumes one layer's bytes in order, from offset 0.
///
/// A resumed download continues where the consumer left off, so it sees each
/// byte exactly once. `consume` may suspend to apply back-pressure.
public protocol LayerConsumer: Sendable {
    /// The next bytes of the (compressed) layer blob.
    func consume(_ chunk: [UInt8]) async throws
    /// Every byte was delivered and the blob's digest and size were verified.
    func finish() async throws
    /// The download failed; discard what was consumed.
    func abort(_ error: any Error) async
}

/// A `LayerSink` that hands each layer to `onLayer` as an `AsyncThrowingStream`
/// of chunks; the stream ends after verification, or throws the download error.
///
/// The stream buffers without bound, so the reader should keep up; use a custom
/// `LayerConsumer` for back-pressure.
public struct LayerStreamSink: LayerSink {
    private let onLayer: @Sendable (Descriptor, Int, PulledImage, AsyncThrowingStream<[UInt8], any Error>) async -> Void

    /// - Parameter onLayer: called once per streamed layer (descriptor, index in
    ///   its manifest, image), before its first chunk.
    public init(
        onLayer:
            @escaping @Sendable (Descriptor, Int, PulledImage, AsyncThrowingStream<[UInt8], any Error>) async -> Void
    ) {
        self.onLayer = onLayer
    }

    public func consumer(for layer: Descriptor, index: Int, image: PulledImage) async throws -> (any LayerConsumer)? {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        await onLayer(layer, index, image, stream)
        return StreamConsumer(continuation: continuation)
    }

    private struct StreamConsumer: LayerConsumer {
        let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation

        func consume(_ chunk: [UInt8]) async throws {
            continuation.yield(chunk)
        }

        func finish() async throws {
            continuation.finish()
        }

        func abort(_ error: any Error) async {
            continuation.finish(throwing: error)
        }
    }
}

/// A `LayerConsumer` that pushes into a `BerthArchive.ByteChannel`, the pipe
/// `BerthUnpack.UnpackLayer(descriptor:diffID:channel:)` reads while it unpacks.
/// `consume` suspends while the channel is full (back-pressure on the download).
public struct ByteChannelConsumer: LayerConsumer {
    public let channel: ByteChannel

    public init(channel: ByteChannel) {
        self.channel = channel
    }

    public func consume(_ chunk: [UInt8]) async throws {
        try await channel.send(chunk)
    }

    public func finish() async throws {
        channel.finish()
    }

    public func abort(_ error: any Error) async {
        channel.fail(error)
    }
}
