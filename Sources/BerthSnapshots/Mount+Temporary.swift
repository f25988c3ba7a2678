import BerthErrors
import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension Mount {
    /// The same view, read-only: an overlay's upper directory becomes its
    /// top lower directory (no work directory is needed), an overlay left
    /// with one lower directory becomes a bind mount of it, and bind mounts
    /// get `ro`.
    public var readOnly: Mount {
        switch type {
        case "overlay":
            var lowers = option("lowerdir").map { $0.split(separator: ":").map(String.init) } ?? []
            if let upper = option("upperdir") {
                lowers.insert(upper, at: 0)
            }
            if lowers.count == 1 {
                return Mount(type: "bind", source: lowers[0], target: target, options: ["ro", "rbind"])
            }
            var options = options.filter {
                !$0.hasPrefix("upperdir=") && !$0.hasPrefix("workdir=") && !$0.hasPrefix("lowerdir=") && $0 != "rw"
                    && $0 != "volatile"
            }
            options.append("lowerdir=" + lowers.joined(separator: ":"))
            return Mount(type: type, source: source, target: target, options: options)
        default:
            return Mount(
                type: type, source: source, target: target,
                options: options.filter { $0 != "rw" && $0 != "ro" } + ["ro"])
        }
    }
}

extension Array where Element == Mount {
    /// Mounts these mounts on a new directory below `parent`, runs `body`
    /// with its path, and always unmounts and removes it. No mounts give an
    /// empty directory (the view of no snapshot).
    ///
    /// - Parameter readOnly: mount the ``Mount/readOnly`` forms.
    /// - Throws: `SnapshotError` if the directory or a mount cannot be made;
    ///   what `body` throws.
    public func withTemporaryMount<T>(readOnly: Bool, under parent: String, _ body: (String) throws -> T) throws -> T {
        do {
            try FileTree.makeDirectories(parent, mode: 0o700)
        } catch {
            throw SnapshotError(.internal, "create \(parent): \(error)")
        }
        var template = [CChar]((parent + "/mount-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) } != nil
        }
        guard created else {
            throw SnapshotError(.internal, "mkdtemp in \(parent): \(String(cString: strerror(errno)))")
        }
        let directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { rmdir(directory) }
        try (readOnly ? map(\.readOnly) : self).mount(at: directory)
        defer {
            do {
                try Mount.unmountAll(directory)
            } catch {
                try? Mount.unmountAll(directory, detach: true)
            }
        }
        return try body(directory)
    }
}
