#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unbuffered writes to the standard descriptors, without touching the C
/// library's shared `FILE` objects (which Swift 6 treats as shared mutable state).
public enum StandardStreams {
    /// Writes `text` to descriptor 2, retrying short writes and EINTR.
    public static func writeError(_ text: String) {
        write(text, to: 2)
    }

    /// Writes `text` to descriptor 1, retrying short writes and EINTR.
    public static func writeOutput(_ text: String) {
        write(text, to: 1)
    }

    static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
