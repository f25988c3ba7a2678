import BerthErrors
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes a `TarWriter`'s output to a descriptor, retrying short writes.
final class FileDescriptorSink: ByteSink {
    let fileDescriptor: Int32

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fileDescriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ArchiveError(.unknown, "write fd \(fileDescriptor): \(String(cString: strerror(code)))")
            }
            offset += n
        }
    }
}
