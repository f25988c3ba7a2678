public import BerthArchive
public import BerthOCI
public import BerthSnapshots
public import Logging
import BerthErrors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What applying one layer produced.
public struct AppliedLayer: Sendable, Hashable {
    /// The digest of the uncompressed tar (equal to the expected diff ID when one was given).
    public var diffID: Digest
    /// Uncompressed bytes.
    public var size: Int64
    /// Bytes read from the source (compressed).
    public var compressedSize: Int64
    /// Tar entries applied.
    public var entries: Int
    /// The compression detected on the blob.
    public var compression: TarReader.Compression
}

/// Applies one layer tar (uncompressed, gzip or zstd) to a `DiffTarget`
/// directory without mounting anything.
///
/// - Overlay targets get overlay whiteouts (char device 0/0 for `.wh.<name>`,
///   `trusted.overlay.opaque=y` for `.wh..wh..opq`); delete targets have the
///   named files removed.
/// - Hardlinks, symlinks, devices, fifos, xattrs, owners, modes and mtimes
///   are preserved; directory times are set after their contents.
/// - No entry may create, change or follow anything outside the directory:
///   absolute names, `..`, symlinked parents (in this layer, or, via
///   `finalize(lowerDirectories:)`, in a lower one), hardlinks to outside
///   and whiteouts outside are refused with an `UnpackError` naming the
///   layer and entry.
///
/// Directories an entry needs but the layer does not contain are created
/// as 0755 root; `finalize(lowerDirectories:)` then gives them the metadata
/// of the same directory in the lower layers, and refuses them where a lower
/// layer has a symlink or a file (a write through an earlier layer's
/// symlink). Layers can therefore be applied before their parents exist
/// and finalized once they do.
///
/// Not thread-safe; runs on the caller's thread and blocks.
public final class LayerApplier {
    let target: DiffTarget
    let layer: Digest?
    let limits: UnpackLimits
    let logger: Logger
    let upper: UpperTree
    var entries = 0
    var declaredBytes: Int64 = 0
    /// Explicit directories and their times, applied after all entries.
    var directoryTimes: [(path: [[UInt8]], access: timespec, modification: timespec)] = []
    /// Paths written by this layer (delete targets only: opaque directories
    /// keep what this layer wrote).
    var written: Set<[UInt8]> = []

    /// Prepares to apply a layer into `target.directory`.
    ///
    /// - Parameter layer: the compressed blob's digest, named in errors.
    public init(target: DiffTarget, layer: Digest?, limits: UnpackLimits = UnpackLimits(), logger: Logger)
        throws
    {
        self.target = target
        self.layer = layer
        self.limits = limits
        self.logger = logger
        do {
            self.upper = try UpperTree(path: target.directory)
        } catch {
            throw UnpackError.wrapping(error, layer: layer, "open \(target.directory)")
        }
    }

    /// Reads the whole tar from `source` and applies it, verifying the
    /// uncompressed digest against `diffID` when given.
    ///
    /// - Throws: `UnpackError`: `.invalidArgument` for a hostile or malformed
    ///   entry, `.resourceExhausted` for an exceeded limit,
    ///   `.failedPrecondition` for a diff ID mismatch.
    public func apply(source: any ByteSource, diffID: Digest?) throws -> AppliedLayer {
        var digester = Digester(algorithm: diffID?.algorithm ?? .sha256)
        let reader: TarReader
        do {
            reader = try TarReader(
                source: source, options: TarReader.Options(maxUncompressedBytes: limits.maxBytes),
                onUncompressedBytes: { digester.update($0) })
        } catch {
            throw UnpackError.wrapping(error, layer: layer, "open layer stream")
        }
        var lastEntry: String?
        while true {
            let next: TarEntry?
            do {
                next = try reader.next()
            } catch {
                throw UnpackError.wrapping(error, layer: layer, lastEntry.map { "after entry \"\($0)\"" })
            }
            guard let entry = next else { break }
            let name = entry.path
            lastEntry = name
            do {
                try count(entry)
                try applyEntry(entry, reader: reader)
            } catch {
                throw UnpackError.wrapping(error, layer: layer, entry: name)
            }
        }
        do {
            try reader.finish()
        } catch {
            throw UnpackError.wrapping(error, layer: layer, "after the end of the archive")
        }
        try applyDirectoryTimes()
        let actual = digester.finalize()
        if let diffID, actual != diffID {
            throw UnpackError(
                .failedPrecondition, layer: layer,
                "uncompressed digest \(actual) does not match the diff_id \(diffID) in the image config")
        }
        return AppliedLayer(
            diffID: actual, size: reader.uncompressedByteCount, compressedSize: reader.compressedByteCount,
            entries: entries, compression: reader.compression)
    }

    /// Checks the entry-count and size limits.
    private func count(_ entry: TarEntry) throws(EntryProblem) {
        entries += 1
        if entries > limits.maxEntries {
            throw EntryProblem(.resourceExhausted, "layer has more than \(limits.maxEntries) entries")
        }
        declaredBytes += max(0, entry.size)
        if declaredBytes > limits.maxBytes {
            throw EntryProblem(.resourceExhausted, "layer expands to more than \(limits.maxBytes) bytes")
        }
    }

    /// Sets the recorded times of explicit directories, now that nothing
    /// more is created inside them.
    private func applyDirectoryTimes() throws {
        for (path, access, modification) in directoryTimes {
            do {
                guard let directory = try upper.directory(path, create: false, entry: "") else { continue }
                try FileTree.setTimes(.descriptor(directory.raw), access: access, modification: modification)
            } catch {
                throw UnpackError.wrapping(error, layer: layer, entry: EntryPath.display(path), "set directory times")
            }
        }
    }
}
