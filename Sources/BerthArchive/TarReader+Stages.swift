import BerthErrors
internal import CLibarchive

/// Stage one: libarchive's "raw" format over the source, with gzip and zstd
/// detection, yielding the decompressed stream.
final class InputStage {
    let source: any ByteSource
    let decoder: OpaquePointer
    let buffer: UnsafeMutableRawBufferPointer
    var error: ArchiveError?
    var count: Int64 = 0
    private(set) var compression = TarReader.Compression.none
    /// False when the input is empty (the raw format then has no entry).
    private(set) var hasData = true

    init(source: any ByteSource, bufferSize: Int) throws {
        self.source = source
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        guard let decoder = archive_read_new() else {
            buffer.deallocate()
            throw ArchiveError(.resourceExhausted, "archive_read_new failed")
        }
        self.decoder = decoder
        archive_read_support_filter_gzip(decoder)
        archive_read_support_filter_zstd(decoder)
        archive_read_support_format_raw(decoder)
        archive_read_support_format_empty(decoder)
        var status = archive_read_open(decoder, Unmanaged.passUnretained(self).toOpaque(), nil, inputRead, nil)
        if status != ARCHIVE_OK {
            throw failure("open compressed stream")
        }
        var entry: OpaquePointer?
        status = archive_read_next_header(decoder, &entry)
        if status == ARCHIVE_EOF {
            hasData = false
        } else if status != ARCHIVE_OK && status != ARCHIVE_WARN {
            throw failure("detect compression")
        }
        switch archive_filter_code(decoder, 0) {
        case ARCHIVE_FILTER_GZIP: compression = .gzip
        case ARCHIVE_FILTER_ZSTD: compression = .zstd
        default: compression = .none
        }
    }

    deinit {
        archive_read_free(decoder)
        buffer.deallocate()
    }

    /// Reads decompressed bytes; 0 at the end.
    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard hasData else { return 0 }
        let n = archive_read_data(decoder, target.baseAddress, target.count)
        if n < 0 {
            throw failure("decompress")
        }
        return n
    }

    func failure(_ action: String) -> ArchiveError {
        if let error {
            return error
        }
        let detail = archive_error_string(decoder).map { String(cString: $0) } ?? "unknown error"
        return ArchiveError(.invalidArgument, "\(action): \(detail)")
    }
}

/// Between the stages: counts, limits and observes the decompressed bytes.
final class MiddleStage {
    let input: InputStage
    let buffer: UnsafeMutableRawBufferPointer
    let limit: Int64?
    let observer: ((UnsafeRawBufferPointer) -> Void)?
    var error: ArchiveError?
    var count: Int64 = 0

    init(input: InputStage, bufferSize: Int, limit: Int64?, observer: ((UnsafeRawBufferPointer) -> Void)?) {
        self.input = input
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        self.limit = limit
        self.observer = observer
    }

    deinit {
        buffer.deallocate()
    }

    /// Reads one block of decompressed bytes into `buffer`; 0 at the end.
    func pull() throws -> Int {
        let n = try input.read(into: buffer)
        guard n > 0 else { return 0 }
        count += Int64(n)
        if let limit, count > limit {
            throw ArchiveError(
                .resourceExhausted, "decompressed stream exceeds the limit of \(limit) bytes")
        }
        observer?(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }

    /// Reads and observes everything left in the decompressed stream.
    func drain() throws {
        if let error {
            throw error
        }
        while try pull() > 0 {}
    }
}

/// libarchive read callback of stage one: pulls from the `ByteSource`.
let inputRead:
    @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?)
        -> la_ssize_t = { _, client, out in
            guard let client, let out else { return -1 }
            let stage = Unmanaged<InputStage>.fromOpaque(client).takeUnretainedValue()
            do {
                let n = try stage.source.read(into: stage.buffer)
                out.pointee = UnsafeRawPointer(stage.buffer.baseAddress)
                stage.count += Int64(n)
                return n
            } catch {
                let wrapped = ArchiveError.wrapping(error, while: "read layer stream")
                stage.error = wrapped
                return -1
            }
        }

/// libarchive read callback of stage two: pulls decompressed bytes.
let middleRead:
    @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?)
        -> la_ssize_t = { _, client, out in
            guard let client, let out else { return -1 }
            let stage = Unmanaged<MiddleStage>.fromOpaque(client).takeUnretainedValue()
            do {
                let n = try stage.pull()
                out.pointee = UnsafeRawPointer(stage.buffer.baseAddress)
                return n
            } catch {
                stage.error = ArchiveError.wrapping(error, while: "read tar stream")
                return -1
            }
        }
