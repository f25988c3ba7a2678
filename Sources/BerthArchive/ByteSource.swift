import BerthErrors
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A stream of bytes that a `TarReader` pulls from.
///
/// `read(into:)` may block: readers run on a thread of their own, never on
/// the Swift concurrency pool. Implementations: `FileDescriptorSource` for a
/// file or pipe, `ByteChannel` for bytes pushed by a producer as they arrive.
public protocol ByteSource: AnyObject {
    /// Fills the start of `buffer` and returns the number of bytes written,
    /// or 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Tells the source that its consumer stopped reading (finished or
    /// failed), so a producer can stop pushing. The default does nothing.
    func close()
}

extension ByteSource {
    public func close() {}
}

/// A `ByteSource` reading a file descriptor with `read(2)`.
public final class FileDescriptorSource: ByteSource {
    /// The descriptor read from.
    public let fileDescriptor: Int32
    private let ownsDescriptor: Bool
    private var closed = false

    /// Reads `fileDescriptor`. With `owning`, `close()` (or deinit) closes it.
    public init(fileDescriptor: Int32, owning: Bool = false) {
        self.fileDescriptor = fileDescriptor
        self.ownsDescriptor = owning
    }

    /// Opens `path` read-only and reads it; the descriptor is owned.
    ///
    /// - Throws: `ArchiveError` naming the path when it cannot be opened.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw ArchiveError(
                code == ENOENT ? .notFound : .unknown,
                "open \(path): \(String(cString: strerror(code)))")
        }
        self.init(fileDescriptor: fd, owning: true)
    }

    deinit {
        close()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if n >= 0 {
                return n
            }
            let code = errno
            if code == EINTR { continue }
            throw ArchiveError(.unknown, "read fd \(fileDescriptor): \(String(cString: strerror(code)))")
        }
    }

    public func close() {
        if ownsDescriptor, !closed {
            closed = true
            _ = Glibc.close(fileDescriptor)
        }
    }
}

/// A `ByteSource` over bytes already in memory (tests, small layers).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    /// Serves `bytes`, then the end of the stream.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
        }
        offset += count
        return count
    }
}
