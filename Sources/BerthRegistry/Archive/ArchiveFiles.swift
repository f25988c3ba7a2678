import BerthArchive
import BerthErrors
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The regular files of an image archive, by normalised relative path: an OCI
/// layout directory, or a tar spooled to a private temporary directory.
protocol ArchiveFiles: Sendable {
    /// Every file path, normalised (`blobs/sha256/…`, `index.json`).
    var paths: [String] { get }
    /// The file's size, or `nil` if there is no such file.
    func size(of path: String) -> Int64?
    /// Where the file's bytes can be read.
    func location(of path: String) -> String?
}

extension ArchiveFiles {
    /// Reads a whole small file, refusing more than `limit` bytes.
    func read(_ path: String, limit: Int64) throws -> [UInt8] {
        guard let location = location(of: path), let size = size(of: path) else {
            throw RegistryError(.notFound, "archive has no \(path)")
        }
        guard size <= limit else {
            throw RegistryError(
                .resourceExhausted, "archive file \(path) is \(size) bytes, over the \(limit)-byte limit")
        }
        guard let data = FileManager.default.contents(atPath: location) else {
            throw RegistryError(.unavailable, "cannot read \(path) from the archive")
        }
        return [UInt8](data)
    }

    /// The file's bytes in chunks.
    func chunks(_ path: String, chunkSize: Int = 1 << 20) throws -> FileChunks {
        guard let location = location(of: path) else {
            throw RegistryError(.notFound, "archive has no \(path)")
        }
        return try FileChunks(path: location, chunkSize: chunkSize)
    }
}

/// Reads a file sequentially in chunks.
final class FileChunks {
    private let fd: Int32
    private let path: String
    private let chunkSize: Int

    init(path: String, chunkSize: Int) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RegistryError(.unavailable, "open \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.chunkSize = chunkSize
    }

    deinit {
        close(fd)
    }

    /// The next chunk, or `nil` at the end.
    func next() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else {
            throw RegistryError(.unavailable, "read \(path): \(String(cString: strerror(errno)))")
        }
        guard count > 0 else { return nil }
        buffer.removeLast(chunkSize - count)
        return buffer
    }
}

/// Normalises an archive member name to a relative path, rejecting escapes.
///
/// `./a//b/` becomes `a/b`; absolute names, `..` components and NUL bytes are errors.
func normalizeArchivePath(_ raw: String) throws -> String {
    guard !raw.hasPrefix("/") else {
        throw RegistryError(.invalidArgument, "archive member \"\(raw)\" has an absolute path")
    }
    guard !raw.utf8.contains(0) else {
        throw RegistryError(.invalidArgument, "archive member \"\(raw)\" has a NUL byte in its name")
    }
    var parts: [Substring] = []
    for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
        switch part {
        case ".": continue
        case "..": throw RegistryError(.invalidArgument, "archive member \"\(raw)\" escapes the archive root with '..'")
        default: parts.append(part)
        }
    }
    return parts.joined(separator: "/")
}

/// An image layout directory on disk.
struct DirectoryFiles: ArchiveFiles {
    let root: String
    let paths: [String]
    private let sizes: [String: Int64]

    init(root: String) throws {
        self.root = root
        var sizes: [String: Int64] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root) else {
            throw RegistryError(.notFound, "cannot read directory \(root)")
        }
        while let relative = walker.nextObject() as? String {
            let full = (root as NSString).appendingPathComponent(relative)
            var info = stat()
            // lstat: a symlink is never followed out of the layout.
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            sizes[try normalizeArchivePath(relative)] = Int64(info.st_size)
        }
        self.sizes = sizes
        paths = sizes.keys.sorted()
    }

    func size(of path: String) -> Int64? { sizes[path] }

    func location(of path: String) -> String? {
        sizes[path] == nil ? nil : (root as NSString).appendingPathComponent(path)
    }
}

/// A tar's regular files, each spooled to its own file in a private temporary
/// directory (removed by `remove()`). Only regular files and directories are
/// accepted; links, devices and path escapes are errors.
final class SpooledTarFiles: ArchiveFiles, @unchecked Sendable {
    let paths: [String]
    private let directory: String
    private let files: [String: (location: String, size: Int64)]

    /// Reads the tar (optionally gzip or zstd compressed) at `path`.
    init(tar path: String, maxEntries: Int = 1 << 20) throws {
        var template = Array("\(NSTemporaryDirectory())/berth-archive-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw RegistryError(
                .unavailable, "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        var files: [String: (location: String, size: Int64)] = [:]
        do {
            let source = try FileDescriptorSource(path: path)
            defer { source.close() }
            let reader = try TarReader(source: source)
            var links: [String: String] = [:]
            var count = 0
            while let entry = try reader.next() {
                count += 1
                guard count <= maxEntries else {
                    throw RegistryError(.resourceExhausted, "archive \(path) has more than \(maxEntries) entries")
                }
                let name = try normalizeArchivePath(entry.path)
                switch entry.kind {
                case .directory:
                    continue
                case .regular:
                    guard !name.isEmpty else { continue }
                    guard files[name] == nil else {
                        throw RegistryError(.invalidArgument, "archive \(path) has \"\(name)\" twice")
                    }
                    let location = "\(directory)/\(files.count)"
                    let fd = open(location, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    guard fd >= 0 else {
                        throw RegistryError(.unavailable, "create \(location): \(String(cString: strerror(errno)))")
                    }
                    defer { close(fd) }
                    try reader.readData { position, bytes in
                        var offset = 0
                        while offset < bytes.count {
                            let n = pwrite(
                                fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset,
                                off_t(position) + off_t(offset))
                            guard n > 0 else {
                                throw RegistryError(
                                    .unavailable, "write \(location): \(String(cString: strerror(errno)))")
                            }
                            offset += n
                        }
                    }
                    guard ftruncate(fd, off_t(entry.size)) == 0 else {
                        throw RegistryError(.unavailable, "truncate \(location): \(String(cString: strerror(errno)))")
                    }
                    files[name] = (location, entry.size)
                case .symlink, .hardlink:
                    // docker save and skopeo link duplicate layers (`<id>/layer.tar` → `../<hex>.tar`).
                    guard !name.isEmpty, files[name] == nil, links[name] == nil else {
                        throw RegistryError(.invalidArgument, "archive \(path) has \"\(name)\" twice")
                    }
                    let target = entry.linkTarget ?? ""
                    let base = entry.kind == .symlink ? (name as NSString).deletingLastPathComponent : ""
                    links[name] = try Self.resolveLink(target, from: base, member: entry.path)
                default:
                    throw RegistryError(
                        .invalidArgument,
                        "archive member \"\(entry.path)\" is a \(entry.kind); image archives hold only files, "
                            + "directories and links between them")
                }
            }
            for (name, target) in links {
                var resolved = target
                var hops = 0
                while let next = links[resolved], hops < 16 {
                    resolved = next
                    hops += 1
                }
                guard let file = files[resolved] else {
                    throw RegistryError(
                        .invalidArgument,
                        "archive member \"\(name)\" links to \"\(target)\", which is not a file in the archive")
                }
                files[name] = file
            }
        } catch let error as RegistryError {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw RegistryError.wrap(error, "read archive \(path)")
        }
        self.files = files
        paths = files.keys.sorted()
    }

    func size(of path: String) -> Int64? { files[path]?.size }

    func location(of path: String) -> String? { files[path]?.location }

    /// A link target as an archive path: relative to `base` (a symlink's
    /// directory) or to the root (a hardlink); it must stay inside the archive.
    static func resolveLink(_ target: String, from base: String, member: String) throws -> String {
        guard !target.hasPrefix("/") else {
            throw RegistryError(
                .invalidArgument, "archive member \"\(member)\" links to the absolute path \"\(target)\"")
        }
        var parts = base.split(separator: "/").map(String.init)
        for part in target.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else {
                    throw RegistryError(
                        .invalidArgument, "archive member \"\(member)\" links outside the archive (\"\(target)\")")
                }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }

    /// Deletes the spooled files.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
