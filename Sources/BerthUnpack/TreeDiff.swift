import BerthErrors
import BerthSnapshots
import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Compares two directory trees (typically read-only mounts of two
/// snapshots) by walking both at once, and reports what changed from
/// `lower` to `upper` as ``TreeChange``s: parents before children, names
/// in byte order within a directory, nothing followed through symlinks.
///
/// Two files are the same when type, permissions, owner, device numbers and
/// extended attributes match and, for non-directories, the size and the
/// modification time do; when both times have no sub-second part (copied by
/// a tool that truncates), symlink targets or file contents decide.
/// A deleted directory is one `deleted` change (nothing below it). A
/// directory whose lower entries (two or more) are all gone is `opaque`
/// instead of one deletion per entry. Overlay whiteouts (char devices 0/0)
/// count as absent, sockets are ignored, and `trusted.overlay.*` attributes
/// are not compared.
///
///     let diff = try TreeDiff(lower: "/mnt/a", upper: "/mnt/b")
///     try diff.walk { change in print(change.kind, change.displayPath) }
public struct TreeDiff {
    let lower: FileDescriptor
    let upper: FileDescriptor

    /// Opens both roots.
    ///
    /// - Throws: `UnpackError` if a root cannot be opened as a directory.
    public init(lower: String, upper: String) throws {
        do {
            self.lower = try FileDescriptor.openDirectory(path: lower)
            self.upper = try FileDescriptor.openDirectory(path: upper)
        } catch {
            throw UnpackError.wrapping(error, layer: nil, "open diff roots")
        }
    }

    /// Calls `visit` for each change, depth first.
    ///
    /// - Throws: what `visit` throws; `UnpackError` for unreadable files and
    ///   for upper names that a layer cannot carry (`.wh.` prefixes).
    public func walk(_ visit: (TreeChange) throws -> Void) throws {
        let root = TreeDirectory(path: [], descriptor: upper)
        do {
            try walk(lower: lower, upper: root, ancestors: [], visit)
        } catch {
            throw UnpackError.wrapping(error, layer: nil, "compare trees")
        }
    }

    private func walk(
        lower: FileDescriptor?, upper: TreeDirectory, ancestors: [TreeDirectory], _ visit: (TreeChange) throws -> Void
    ) throws {
        let ancestors = ancestors + [upper]
        let upperEntries = try Self.entries(in: upper.raw)
        let lowerEntries = try lower.map { try Self.entries(in: $0.raw) } ?? []
        func change(_ kind: TreeChange.Kind, _ name: [UInt8], _ status: stat?) -> TreeChange {
            TreeChange(
                kind: kind, path: upper.path + [name], status: status, directory: upper.raw, ancestors: ancestors)
        }
        for entry in upperEntries where entry.name.starts(with: EntryPath.whiteoutPrefix) {
            throw UnpackError(
                .invalidArgument, entry: EntryPath.display(upper.path + [entry.name]),
                "names starting with .wh. cannot be carried in a layer")
        }
        let upperNames = Set(upperEntries.map(\.name))
        let opaque =
            !upper.path.isEmpty && lowerEntries.count >= 2
            && !lowerEntries.contains { upperNames.contains($0.name) }
        if opaque {
            try visit(
                TreeChange(kind: .opaque, path: upper.path, status: nil, directory: upper.raw, ancestors: ancestors))
        }
        var lowerIndex = opaque ? lowerEntries.endIndex : lowerEntries.startIndex
        var upperIndex = upperEntries.startIndex
        while lowerIndex < lowerEntries.endIndex || upperIndex < upperEntries.endIndex {
            let lowerEntry = lowerIndex < lowerEntries.endIndex ? lowerEntries[lowerIndex] : nil
            let upperEntry = upperIndex < upperEntries.endIndex ? upperEntries[upperIndex] : nil
            if let lowerEntry, upperEntry.map({ lowerEntry.name.lexicographicallyPrecedes($0.name) }) ?? true {
                try visit(change(.deleted, lowerEntry.name, nil))
                lowerIndex += 1
                continue
            }
            guard let upperEntry else { break }
            upperIndex += 1
            let isDirectory = upperEntry.status.st_mode & S_IFMT == S_IFDIR
            guard let lowerEntry, lowerEntry.name == upperEntry.name, let lower else {
                try visit(change(.added, upperEntry.name, upperEntry.status))
                if isDirectory {
                    try descend(into: upperEntry.name, of: upper, lower: nil, ancestors: ancestors, visit)
                }
                continue
            }
            lowerIndex += 1
            let lowerIsDirectory = lowerEntry.status.st_mode & S_IFMT == S_IFDIR
            let same = try Self.same(
                lowerEntry.status, upperEntry.status, name: upperEntry.name, lower: lower.raw, upper: upper.raw)
            if !same {
                try visit(change(.modified, upperEntry.name, upperEntry.status))
            } else if !isDirectory, upperEntry.status.st_nlink > 1 {
                try visit(change(.unmodified, upperEntry.name, upperEntry.status))
            }
            if isDirectory {
                let lowerChild = lowerIsDirectory ? try FileTree.openDirectory(lowerEntry.name, in: lower.raw) : nil
                try descend(into: upperEntry.name, of: upper, lower: lowerChild, ancestors: ancestors, visit)
            }
        }
    }

    private func descend(
        into name: [UInt8], of upper: TreeDirectory, lower: FileDescriptor?, ancestors: [TreeDirectory],
        _ visit: (TreeChange) throws -> Void
    ) throws {
        let child = TreeDirectory(
            path: upper.path + [name], descriptor: try FileTree.openDirectory(name, in: upper.raw))
        try walk(lower: lower, upper: child, ancestors: ancestors, visit)
    }

    /// A directory's entries with their lstat, sorted by name; whiteout
    /// devices and sockets left out.
    static func entries(in directory: Int32) throws -> [(name: [UInt8], status: stat)] {
        var result: [(name: [UInt8], status: stat)] = []
        for name in try FileTree.names(in: directory) {
            guard let status = try FileTree.status(name, in: directory) else { continue }
            let type = status.st_mode & S_IFMT
            if type == S_IFSOCK || (type == S_IFCHR && status.st_rdev == 0) { continue }
            result.append((name, status))
        }
        return result.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }
}
