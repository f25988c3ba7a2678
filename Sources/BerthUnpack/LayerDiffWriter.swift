import BerthArchive
import BerthErrors
import BerthSnapshots

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns ``TreeChange``s into a layer tar: changed files with their
/// metadata, deletions as `.wh.<name>`, opaque directories as
/// `<dir>/.wh..wh..opq`.
///
/// Every entry's parent directories are written before it (once, with the
/// upper tree's metadata), so applying the layer reproduces their modes and
/// owners. Files sharing an inode become one file and hardlinks to it,
/// including unchanged names linked to a changed file. Times are whole
/// seconds; whiteouts take their directory's time, so the same trees give
/// the same bytes.
///
/// Not thread-safe.
public final class LayerDiffWriter {
    let tar: TarWriter
    /// Directories written, by path.
    var written: Set<[[UInt8]]> = []
    /// Entries of directories not yet written that a deferred hardlink needs.
    var deferredDirectories: [[[UInt8]]: TarEntry] = [:]
    /// The first name written for a multiply-linked inode.
    var linkSources: [InodeKey: [UInt8]] = [:]
    /// Unchanged names of an inode no changed file has claimed yet.
    var linkReferences: [InodeKey: [[[UInt8]]]] = [:]
    /// Entries written.
    public private(set) var entries = 0

    /// A writer appending to `tar` (the caller finishes it).
    public init(tar: TarWriter) {
        self.tar = tar
    }

    /// Writes what `change` needs.
    public func write(_ change: TreeChange) throws {
        switch change.kind {
        case .deleted:
            try writeParents(change.ancestors)
            var whiteout = TarEntry(path: "", modificationTime: try Self.time(of: change.directory))
            whiteout.pathBytes = Self.tarName(Array(change.path.dropLast()) + [EntryPath.whiteoutPrefix + change.name])
            try append(whiteout)
        case .opaque:
            try writeParents(change.ancestors)
            var marker = TarEntry(path: "", modificationTime: try Self.time(of: change.directory))
            marker.pathBytes = Self.tarName(change.path + [EntryPath.opaqueName])
            try append(marker)
        case .added, .modified:
            guard let status = change.status else { return }
            try writeChanged(change, status)
        case .unmodified:
            guard let status = change.status else { return }
            let key = InodeKey(status)
            if let source = linkSources[key] {
                try writeParents(change.ancestors)
                try append(Self.hardlink(change.path, to: source, status))
            } else {
                for ancestor in change.ancestors.dropFirst() where !written.contains(ancestor.path) {
                    if deferredDirectories[ancestor.path] == nil {
                        deferredDirectories[ancestor.path] = try Self.directoryEntry(ancestor)
                    }
                }
                linkReferences[key, default: []].append(change.path)
            }
        }
    }

    private func writeChanged(_ change: TreeChange, _ status: stat) throws {
        let type = status.st_mode & S_IFMT
        let linked = type != S_IFDIR && status.st_nlink > 1
        let key = InodeKey(status)
        try writeParents(change.ancestors)
        if linked, let source = linkSources[key] {
            try append(Self.hardlink(change.path, to: source, status))
            return
        }
        let entry = try Self.entry(change, status)
        try tar.writeHeader(entry)
        entries += 1
        if entry.kind == .regular, entry.size > 0 {
            try copyData(change, size: entry.size)
        }
        if type == S_IFDIR {
            written.insert(change.path)
        }
        guard linked else { return }
        linkSources[key] = entry.pathBytes
        for reference in linkReferences.removeValue(forKey: key) ?? [] {
            try writeDeferredParents(of: reference)
            try append(Self.hardlink(reference, to: entry.pathBytes, status))
        }
    }

    /// Writes the ancestors (below the root) not written yet.
    private func writeParents(_ ancestors: [TreeDirectory]) throws {
        for ancestor in ancestors.dropFirst() where !written.contains(ancestor.path) {
            try append(try Self.directoryEntry(ancestor))
            written.insert(ancestor.path)
        }
    }

    /// Writes the not yet written parents of a deferred hardlink, from the
    /// entries saved when it was seen.
    private func writeDeferredParents(of path: [[UInt8]]) throws {
        for depth in 1..<max(path.count, 1) {
            let parent = Array(path[0..<depth])
            guard !written.contains(parent), let entry = deferredDirectories[parent] else { continue }
            try append(entry)
            written.insert(parent)
        }
    }

    private func append(_ entry: TarEntry) throws {
        try tar.writeHeader(entry)
        entries += 1
    }

    private func copyData(_ change: TreeChange, size: Int64) throws {
        let file = try TreeDiff.openFile(change.name, in: change.directory)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var remaining = size
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let count = try buffer.withUnsafeMutableBytes {
                try TreeDiff.read(
                    file.raw, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]), name: change.name)
            }
            if count == 0 {
                throw UnpackError(
                    .aborted, entry: change.displayPath,
                    "file shrank while it was being read (\(remaining) bytes short)")
            }
            try buffer.withUnsafeBytes { try tar.writeData(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            remaining -= Int64(count)
        }
    }
}
