import BerthArchive
import BerthErrors
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where an export writes its files: a tar stream or a directory.
protocol ArchiveSink: AnyObject {
    func addDirectory(_ path: String) throws
    /// Starts a file of `size` bytes; follow with exactly `size` bytes of `write`.
    func beginFile(_ path: String, size: Int64) throws
    func write(_ bytes: [UInt8]) throws
    func finish() throws
}

extension ArchiveSink {
    func addFile(_ path: String, _ bytes: [UInt8]) throws {
        try beginFile(path, size: Int64(bytes.count))
        if !bytes.isEmpty { try write(bytes) }
    }
}

/// Writes a plain tar (pax, numeric owner 0, fixed mtime) to a file.
final class TarSink: ArchiveSink {
    private let fd: Int32
    private let writer: TarWriter
    private let path: String
    private let modificationTime: TarEntry.Timestamp

    init(path: String, modificationTime: Int64 = 0) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RegistryError(.unavailable, "create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.modificationTime = TarEntry.Timestamp(seconds: modificationTime)
        do {
            writer = try TarWriter(fileDescriptor: fd)
        } catch {
            close(fd)
            throw RegistryError.wrap(error, "write \(path)")
        }
    }

    deinit {
        close(fd)
    }

    func addDirectory(_ path: String) throws {
        try wrap {
            try writer.writeHeader(
                TarEntry(path: path + "/", kind: .directory, mode: 0o755, modificationTime: modificationTime))
        }
    }

    func beginFile(_ path: String, size: Int64) throws {
        try wrap {
            try writer.writeHeader(TarEntry(path: path, mode: 0o644, modificationTime: modificationTime, size: size))
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try wrap { try bytes.withUnsafeBytes { try writer.writeData($0) } }
    }

    func finish() throws {
        try wrap { try writer.finish() }
        guard fsync(fd) == 0 else {
            throw RegistryError(.unavailable, "fsync \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func wrap(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw RegistryError.wrap(error, "write \(path)")
        }
    }
}

/// Writes files under a directory (an OCI image layout).
final class DirectorySink: ArchiveSink {
    private let root: String
    private var fd: Int32 = -1
    private var current = ""

    init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func addDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: root + "/" + path, withIntermediateDirectories: true)
    }

    func beginFile(_ path: String, size: Int64) throws {
        if fd >= 0 { close(fd) }
        current = root + "/" + path
        fd = open(current, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            throw RegistryError(.unavailable, "create \(current): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            guard n > 0 else {
                throw RegistryError(.unavailable, "write \(current): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    func finish() throws {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }
}
