import BerthErrors
internal import CLibarchive

/// Writes a tar stream (pax format, so long names, large sizes and xattrs
/// survive), optionally gzip or zstd compressed, to a file descriptor or to a
/// sink closure. Used for export and diff.
///
///     let writer = try TarWriter(fileDescriptor: fd, compression: .gzip)
///     try writer.append(TarEntry(path: "etc/hostname", size: 5), data: Array("berth".utf8))
///     try writer.finish()
///
/// A writer is not thread-safe.
public final class TarWriter {
    private let archive: OpaquePointer
    private let output: OutputStage
    private var finished = false

    /// Writes to `fileDescriptor` (not closed by the writer).
    public convenience init(fileDescriptor: Int32, compression: TarReader.Compression = .none) throws {
        try self.init(sink: FileDescriptorSink(fileDescriptor: fileDescriptor), compression: compression)
    }

    /// Writes every output block to `sink`.
    public convenience init(
        compression: TarReader.Compression = .none,
        sink: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try self.init(sink: ClosureSink(body: sink), compression: compression)
    }

    init(sink: any ByteSink, compression: TarReader.Compression) throws {
        output = OutputStage(sink: sink)
        guard let archive = archive_write_new() else {
            throw ArchiveError(.resourceExhausted, "archive_write_new failed")
        }
        self.archive = archive
        archive_write_set_format_pax_restricted(archive)
        switch compression {
        case .none: archive_write_add_filter_none(archive)
        case .gzip: archive_write_add_filter_gzip(archive)
        case .zstd: archive_write_add_filter_zstd(archive)
        }
        archive_write_set_bytes_per_block(archive, 10240)
        archive_write_set_bytes_in_last_block(archive, 1)
        let status = archive_write_open(archive, Unmanaged.passUnretained(output).toOpaque(), nil, outputWrite, nil)
        if status != ARCHIVE_OK {
            throw failure("open tar writer")
        }
    }

    deinit {
        archive_write_free(archive)
    }

    /// Writes `entry`'s header. For a regular file, follow with exactly
    /// `entry.size` bytes of `writeData(_:)`.
    ///
    /// - Throws: `ArchiveError` if the header cannot be encoded or the sink fails.
    public func writeHeader(_ entry: TarEntry) throws {
        guard let handle = archive_entry_new() else {
            throw ArchiveError(.resourceExhausted, "archive_entry_new failed")
        }
        defer { archive_entry_free(handle) }
        entry.fill(handle)
        let status = archive_write_header(archive, handle)
        if status != ARCHIVE_OK && status != ARCHIVE_WARN {
            throw failure("write header of \"\(entry.path)\"")
        }
    }

    /// Writes data of the current regular file.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = archive_write_data(archive, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if n <= 0 {
                throw failure("write data")
            }
            offset += n
        }
    }

    /// Writes a header and, for a regular file, its data (`entry.size` is set
    /// from `data`).
    public func append(_ entry: TarEntry, data: [UInt8] = []) throws {
        var entry = entry
        if entry.kind == .regular {
            entry.size = Int64(data.count)
        }
        try writeHeader(entry)
        if entry.kind == .regular, !data.isEmpty {
            var failure: ArchiveError?
            data.withUnsafeBytes { buffer in
                do {
                    try writeData(buffer)
                } catch {
                    failure = ArchiveError.wrapping(error, while: "write data")
                }
            }
            if let failure {
                throw failure
            }
        }
    }

    /// Writes the end-of-archive marker and flushes the compressor.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        if archive_write_close(archive) != ARCHIVE_OK {
            throw failure("finish tar stream")
        }
    }

    private func failure(_ action: String) -> ArchiveError {
        if let error = output.error {
            return error
        }
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return ArchiveError(.invalidArgument, "\(action): \(detail)")
    }
}

/// Where a `TarWriter` puts its bytes.
protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

final class ClosureSink: ByteSink {
    let body: (UnsafeRawBufferPointer) throws -> Void

    init(body: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.body = body
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try body(bytes)
    }
}

final class OutputStage {
    let sink: any ByteSink
    var error: ArchiveError?

    init(sink: any ByteSink) {
        self.sink = sink
    }
}

let outputWrite: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> la_ssize_t = {
    _, client, buffer, length in
    guard let client else { return -1 }
    let stage = Unmanaged<OutputStage>.fromOpaque(client).takeUnretainedValue()
    do {
        try stage.sink.write(UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    } catch {
        stage.error = ArchiveError.wrapping(error, while: "write tar stream")
        return -1
    }
}
