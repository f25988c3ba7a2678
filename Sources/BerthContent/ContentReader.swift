internal import BerthErrors
public import BerthOCI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An open committed blob, read at random offsets (the Read RPC, unpack).
/// Safe to share between threads: reads are positional.
public final class ContentReader: Sendable {
    /// The blob's digest.
    public let digest: Digest
    /// The blob's size in bytes.
    public let size: Int64
    /// The blob's path.
    public let path: String
    private let fd: Int32

    init(digest: Digest, path: String) throws {
        self.digest = digest
        self.path = path
        fd = try FileIO.open(path, O_RDONLY)
        do {
            size = try FileIO.size(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(fd)
    }

    /// Reads up to `count` bytes at `offset`, with the Read RPC's rules: a
    /// `count` of 0 or less, or one past the end, reads to the end.
    ///
    /// - Throws: `.outOfRange` if `offset` is negative or past the end.
    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset <= size else {
            throw ContentError(.outOfRange, "read offset \(offset) is out of range for \(digest) of size \(size)")
        }
        let available = size - offset
        let want = count <= 0 || Int64(count) > available ? Int(available) : count
        var bytes = [UInt8](repeating: 0, count: want)
        let got = try bytes.withUnsafeMutableBytes { try FileIO.read(fd, into: $0, at: offset, path: path) }
        if got < want {
            bytes.removeLast(want - got)
        }
        return bytes
    }

    /// Reads into `buffer` at `offset`; returns the count (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try FileIO.read(fd, into: buffer, at: offset, path: path)
    }

    /// The whole blob.
    public func readAll() throws -> [UInt8] {
        try read(at: 0, count: 0)
    }
}
