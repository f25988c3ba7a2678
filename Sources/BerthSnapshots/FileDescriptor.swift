import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An owned file descriptor, closed when the last reference goes away.
package final class FileDescriptor {
    /// The descriptor number.
    package let raw: Int32

    /// Takes ownership of `raw`.
    package init(_ raw: Int32) {
        self.raw = raw
    }

    deinit {
        _ = close(raw)
    }

    /// Opens the directory at an absolute or relative `path` (following symlinks in `path`).
    package static func openDirectory(path: String) throws(SystemError) -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            throw SystemError(call: "open(\(path))", errno: errno)
        }
        return FileDescriptor(fd)
    }
}

/// A file name within a directory: raw bytes, never containing `/` or NUL.
package typealias FileName = [UInt8]

extension Array where Element == UInt8 {
    /// Calls `body` with a NUL-terminated copy of the bytes.
    package func withCName<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var copy = self
        copy.append(0)
        return try copy.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return try "".withCString(body) }
                return try body(base)
            }
        }
    }

    /// The bytes as UTF-8 text (invalid bytes become U+FFFD), for messages.
    package var displayName: String {
        String(decoding: self, as: UTF8.self)
    }
}

/// Throws `SystemError` for a negative libc result, reading errno.
@discardableResult
package func posix(_ result: Int32, _ call: @autoclosure () -> String) throws(SystemError) -> Int32 {
    if result < 0 {
        throw SystemError(call: call(), errno: errno)
    }
    return result
}

/// Retries `body` while it fails with EINTR.
package func retryingInterrupts(_ body: () -> Int32) -> Int32 {
    while true {
        let result = body()
        if result >= 0 || errno != EINTR {
            return result
        }
    }
}
