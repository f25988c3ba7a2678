public import BerthArchive
public import BerthOCI
public import Logging

/// What ``LayerDiff/write(lower:upper:compression:logger:sink:)`` produced.
public struct DiffedLayer: Sendable, Hashable {
    /// The digest of the uncompressed tar: the layer's diff ID.
    public var diffID: Digest
    /// Uncompressed bytes.
    public var size: Int64
    /// Tar entries written.
    public var entries: Int
}

/// Computes the layer that turns one directory tree into another (the
/// inverse of ``LayerApplier``): ``TreeDiff`` finds the changes,
/// ``LayerDiffWriter`` writes them as a tar, and the tar is compressed into
/// `sink` while its diff ID is computed.
public enum LayerDiff {
    /// Writes the layer from `lower` to `upper` (both directories, typically
    /// read-only mounts) into `sink`, compressed with `compression`.
    ///
    /// - Throws: `UnpackError` (unreadable trees, names a layer cannot
    ///   carry) or what `sink` throws.
    public static func write(
        lower: String, upper: String, compression: TarReader.Compression, logger: Logger,
        sink: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws -> DiffedLayer {
        let diff = try TreeDiff(lower: lower, upper: upper)
        let compressor = try StreamCompressor(compression: compression, sink: sink)
        let counter = DigestingCounter()
        let tar = try TarWriter { bytes in
            counter.digester.update(bytes)
            try compressor.write(bytes)
        }
        let writer = LayerDiffWriter(tar: tar)
        try diff.walk { try writer.write($0) }
        try tar.finish()
        try compressor.finish()
        let layer = DiffedLayer(
            diffID: counter.digester.finalize(), size: counter.digester.count, entries: writer.entries)
        logger.debug(
            "computed layer diff",
            metadata: [
                "lower": "\(lower)", "upper": "\(upper)", "diffID": "\(layer.diffID)", "size": "\(layer.size)",
                "entries": "\(layer.entries)",
            ])
        return layer
    }
}

/// The running digest of the uncompressed stream (captured by the tar sink).
private final class DigestingCounter {
    var digester = Digester()
}
