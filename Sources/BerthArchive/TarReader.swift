import BerthErrors
internal import CLibarchive

/// A streaming tar reader over libarchive.
///
/// The input may be an uncompressed tar or a gzip or zstd compressed one; the
/// compression is detected from the first bytes. Reading happens in two
/// stages: the first decompresses, the second parses tar from the
/// decompressed bytes. Every decompressed byte passes through
/// `onUncompressedBytes` exactly once (headers, data, padding and whatever
/// follows the end-of-archive marker, once `finish()` has drained it), so a
/// caller can hash the stream to check an image's `diff_id`.
///
///     let reader = try TarReader(source: FileDescriptorSource(path: blob))
///     while let entry = try reader.next() {
///         try reader.readData { offset, bytes in ... }
///     }
///     try reader.finish()
///
/// `read` calls on the source may block, so use a reader on one thread (not
/// the Swift concurrency pool). A reader is not thread-safe.
public final class TarReader {
    /// Limits and tuning.
    public struct Options: Sendable {
        /// Fail with `.resourceExhausted` once more decompressed bytes than
        /// this have been read (a decompression bomb). `nil`: no limit.
        public var maxUncompressedBytes: Int64?
        /// The size of each read from the source and from the decompressor.
        public var bufferSize: Int

        public init(maxUncompressedBytes: Int64? = nil, bufferSize: Int = 1 << 20) {
            self.maxUncompressedBytes = maxUncompressedBytes
            self.bufferSize = bufferSize
        }
    }

    /// The compression found on the input.
    public enum Compression: Sendable, Hashable {
        case none
        case gzip
        case zstd
    }

    private let input: InputStage
    private let middle: MiddleStage
    private let tar: OpaquePointer
    private var atEnd = false
    private var dataPending = false

    /// The compression detected on the input.
    public let compression: Compression

    /// Opens a tar stream read from `source`. Blocks until the first bytes arrive.
    ///
    /// - Parameter onUncompressedBytes: called with every decompressed byte, in order.
    /// - Throws: `ArchiveError` if the source fails or its compression is not supported.
    public init(
        source: any ByteSource,
        options: Options = Options(),
        onUncompressedBytes: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws {
        input = try InputStage(source: source, bufferSize: options.bufferSize)
        compression = input.compression
        middle = MiddleStage(
            input: input, bufferSize: options.bufferSize, limit: options.maxUncompressedBytes,
            observer: onUncompressedBytes)
        guard let tar = archive_read_new() else {
            throw ArchiveError(.resourceExhausted, "archive_read_new failed")
        }
        self.tar = tar
        archive_read_support_format_tar(tar)
        archive_read_support_format_empty(tar)
        let status = archive_read_open(
            tar, Unmanaged.passUnretained(middle).toOpaque(), nil, middleRead, nil)
        if status != ARCHIVE_OK {
            throw failure(status, "open tar stream")
        }
    }

    /// Opens a tar stream read from a file descriptor (not closed by the reader).
    public convenience init(
        fileDescriptor: Int32,
        options: Options = Options(),
        onUncompressedBytes: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws {
        try self.init(
            source: FileDescriptorSource(fileDescriptor: fileDescriptor), options: options,
            onUncompressedBytes: onUncompressedBytes)
    }

    deinit {
        archive_read_free(tar)
    }

    /// The number of decompressed bytes read so far.
    public var uncompressedByteCount: Int64 { middle.count }

    /// The number of bytes read from the source so far.
    public var compressedByteCount: Int64 { input.count }

    /// Reads the next entry's header, skipping the rest of the previous
    /// entry's data. Returns `nil` at the end of the archive.
    ///
    /// - Throws: `ArchiveError` for a malformed archive, a failing source, or
    ///   an exceeded limit.
    public func next() throws -> TarEntry? {
        guard !atEnd else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(tar, &entry)
        dataPending = false
        switch status {
        case ARCHIVE_EOF:
            atEnd = true
            return nil
        case ARCHIVE_OK, ARCHIVE_WARN:
            guard let entry else {
                throw ArchiveError(.internal, "libarchive returned no entry")
            }
            dataPending = true
            return try TarEntry(archiveEntry: entry)
        default:
            throw failure(status, "read tar header")
        }
    }

    /// Passes the current entry's data to `body` in blocks, each with its
    /// offset in the file (offsets jump over holes in a sparse file). The
    /// bytes are valid only during the call.
    ///
    /// - Throws: `ArchiveError` for a truncated or corrupt stream, or what `body` throws.
    public func readData(_ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        guard dataPending else { return }
        while true {
            var buffer: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(tar, &buffer, &size, &offset)
            if status == ARCHIVE_EOF {
                dataPending = false
                return
            }
            if status != ARCHIVE_OK && status != ARCHIVE_WARN {
                throw failure(status, "read tar data")
            }
            if size > 0, let buffer {
                try body(Int64(offset), UnsafeRawBufferPointer(start: buffer, count: size))
            }
        }
    }

    /// Reads the rest of the stream: the remaining entries and any bytes
    /// after the end-of-archive marker, so `onUncompressedBytes` has seen the
    /// whole decompressed stream.
    public func finish() throws {
        while try next() != nil {}
        try middle.drain()
    }

    private func failure(_ status: Int32, _ action: String) -> ArchiveError {
        if let error = middle.error ?? input.error {
            return error
        }
        let detail = archive_error_string(tar).map { String(cString: $0) } ?? "status \(status)"
        return ArchiveError(.invalidArgument, "\(action): \(detail)")
    }
}
