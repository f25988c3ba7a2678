import BerthErrors
internal import CLibarchive

/// Compresses a byte stream (gzip or zstd; `.none` passes it through) and
/// hands the output to a sink. Used where the uncompressed bytes must be
/// seen too, e.g. to compute a layer's diff ID while writing its blob:
///
///     let compressor = try StreamCompressor(compression: .gzip) { try blob.write($0) }
///     let tar = try TarWriter { digester.update($0); try compressor.write($0) }
///
/// gzip output carries no timestamp, so equal input gives equal output.
/// Not thread-safe.
public final class StreamCompressor {
    private let archive: OpaquePointer
    private let output: OutputStage
    private var finished = false

    /// A compressor writing every output block to `sink`.
    public init(compression: TarReader.Compression, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        output = OutputStage(sink: ClosureSink(body: sink))
        guard let archive = archive_write_new() else {
            throw ArchiveError(.resourceExhausted, "archive_write_new failed")
        }
        self.archive = archive
        // The raw format writes one entry's data through the filters, unframed.
        archive_write_set_format_raw(archive)
        switch compression {
        case .none: archive_write_add_filter_none(archive)
        case .gzip:
            archive_write_add_filter_gzip(archive)
            archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .zstd: archive_write_add_filter_zstd(archive)
        }
        archive_write_set_bytes_per_block(archive, 64 << 10)
        archive_write_set_bytes_in_last_block(archive, 1)
        guard
            archive_write_open(archive, Unmanaged.passUnretained(output).toOpaque(), nil, outputWrite, nil)
                == ARCHIVE_OK
        else {
            throw failure("open compressor")
        }
        guard let entry = archive_entry_new() else {
            throw ArchiveError(.resourceExhausted, "archive_entry_new failed")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, modeRegular)
        archive_entry_copy_pathname(entry, "data")
        let status = archive_write_header(archive, entry)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw failure("start compressed stream")
        }
    }

    deinit {
        archive_write_free(archive)
    }

    /// Compresses `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = archive_write_data(archive, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if n <= 0 {
                throw failure("compress")
            }
            offset += n
        }
    }

    /// Flushes the compressor and writes the stream's trailer.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        if archive_write_close(archive) != ARCHIVE_OK {
            throw failure("finish compressed stream")
        }
    }

    private func failure(_ action: String) -> ArchiveError {
        if let error = output.error {
            return error
        }
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return ArchiveError(.internal, "\(action): \(detail)")
    }
}
