internal import BerthErrors
public import BerthOCI
internal import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes a bundle's `config.json`.
public enum BundleWriter {
    /// The name of the spec file in a bundle.
    public static let configFileName = "config.json"

    /// The spec as Berth writes it: pretty-printed, keys sorted, slashes not
    /// escaped, ending with a newline. The same spec always gives the same bytes.
    public static func encode(_ spec: Spec) throws(BundleError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(spec)) + [UInt8(ascii: "\n")]
        } catch {
            throw BundleError(.internal, "cannot encode the spec: \(error)")
        }
    }

    /// Decodes a `config.json`.
    public static func decode(_ bytes: [UInt8]) throws(BundleError) -> Spec {
        do {
            return try JSONDecoder().decode(Spec.self, from: Data(bytes))
        } catch {
            throw BundleError.invalid("config.json does not decode: \(error)")
        }
    }

    /// Writes `spec` as `<bundle>/config.json`, atomically: a temporary file
    /// in the bundle is written, flushed to disk and renamed over the old one,
    /// and the directory is flushed, so a crash leaves the old file or the new
    /// one, never a mix.
    ///
    /// With `rootfs`, `root.path` is set to it: relative (`rootfs`) when it
    /// is the bundle's own `rootfs` directory, as runc and containerd expect,
    /// else absolute.
    public static func write(_ spec: Spec, bundle: String, rootfs: String? = nil) throws(BundleError) {
        var spec = spec
        if let rootfs {
            spec.root = Spec.Root(path: rootPath(rootfs, bundle: bundle), readonly: spec.root?.readonly)
        }
        try writeAtomically(try encode(spec), directory: bundle, name: configFileName)
    }

    /// `rootfs` relative to `bundle` when it lies directly inside it, else as given.
    static func rootPath(_ rootfs: String, bundle: String) -> String {
        let base = bundle.hasSuffix("/") ? String(bundle.dropLast()) : bundle
        let prefix = base + "/"
        if rootfs.hasPrefix(prefix) {
            let rest = rootfs.dropFirst(prefix.count)
            if !rest.isEmpty, !rest.contains("/") { return String(rest) }
        }
        return rootfs
    }

    static func writeAtomically(_ bytes: [UInt8], directory: String, name: String) throws(BundleError) {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let temporary = "\(directory)/.\(name).\(getpid()).\(suffix)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create a temporary file in", directory) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, 0o644) == 0 else { throw failure("chmod", temporary) }
            try writeAll(bytes, to: fd, path: temporary)
            guard fsync(fd) == 0 else { throw failure("fsync", temporary) }
        }
        let target = "\(directory)/\(name)"
        guard rename(temporary, target) == 0 else { throw failure("rename to", target) }
        committed = true
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(BundleError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            offset += written
        }
    }

    private static func failure(_ action: String, _ path: String) -> BundleError {
        let number = errno
        let code: ErrorCode =
            switch number {
            case ENOENT: .notFound
            case EACCES, EPERM: .permissionDenied
            case ENOSPC: .resourceExhausted
            default: .internal
            }
        return BundleError(code, "cannot \(action) \(path): \(String(cString: strerror(number)))")
    }
}

/// `write(2)`, under a name the `write` methods above do not shadow.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
