import BerthErrors
import BerthSnapshots
import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LayerApplier {
    /// Reconciles the directories this layer created implicitly with the
    /// merged view of the layers below (newest first):
    ///
    /// - a directory there: the implicit one takes its owner, mode, xattrs
    ///   (except `trusted.overlay.*`) and times, as a copy-up would;
    /// - a symlink there: the entry wrote through a symlink planted by an
    ///   earlier layer, so the layer is refused;
    /// - another file there: refused (not a directory);
    /// - nothing (or a whiteout, or an opaque directory above): kept as is.
    ///
    /// - Throws: `UnpackError` naming the layer and the entry that needed the directory.
    public func finalize(lowerDirectories: [String]) throws {
        let implicit = upper.implicitDirectories
        guard !implicit.isEmpty, !lowerDirectories.isEmpty else { return }
        let lowers: [FileDescriptor]
        do {
            lowers = try lowerDirectories.map { path throws(SystemError) in try FileDescriptor.openDirectory(path: path)
            }
        } catch {
            throw UnpackError.wrapping(error, layer: layer, "open lower layers")
        }
        for (path, entry) in implicit {
            do {
                try reconcile(path, lowers: lowers)
            } catch {
                throw UnpackError.wrapping(error, layer: layer, entry: entry)
            }
        }
    }

    private func reconcile(_ path: [[UInt8]], lowers: [FileDescriptor]) throws {
        guard let leaf = path.last else { return }
        let parentPath = Array(path.dropLast())
        guard let level = try mergedDirectory(parentPath, lowers: lowers), level.first?.isUpper == true else {
            return  // removed later in this layer
        }
        for layer in level.dropFirst() {
            guard let status = try FileTree.status(leaf, in: layer.directory.raw) else { continue }
            let type = status.st_mode & S_IFMT
            if Self.isWhiteout(status) {
                return
            }
            let display = EntryPath.display(path)
            switch type {
            case S_IFDIR:
                let lower = try FileTree.openDirectory(leaf, in: layer.directory.raw)
                guard let mine = try upper.directory(path, create: false, entry: "") else { return }
                try FileTree.copyMetadata(
                    status, from: .descriptor(lower.raw), to: .descriptor(mine.raw), overlayAttributes: false)
                return
            case S_IFLNK:
                throw EntryProblem(
                    "parent \"\(display)\" is a symlink in an earlier layer; refusing to write through it")
            default:
                throw EntryProblem("parent \"\(display)\" is not a directory in an earlier layer")
            }
        }
    }

    /// A directory of one layer at some level of the merged view.
    struct LayerDirectory {
        var directory: FileDescriptor
        var isUpper: Bool
    }

    /// The layers whose directories merge at `components` in the overlay
    /// view of [upper] + lowers, newest first; nil if the path is missing,
    /// whited out, or not a directory.
    private func mergedDirectory(_ components: [[UInt8]], lowers: [FileDescriptor]) throws -> [LayerDirectory]? {
        var level = [LayerDirectory(directory: upper.root, isUpper: true)]
        for lower in lowers {
            level.append(LayerDirectory(directory: lower, isUpper: false))
            if try Self.isOpaque(lower.raw) { break }
        }
        if try Self.isOpaque(upper.root.raw) {
            level = Array(level.prefix(1))
        }
        for component in components {
            var next: [LayerDirectory] = []
            for layer in level {
                guard let status = try FileTree.status(component, in: layer.directory.raw) else { continue }
                if Self.isWhiteout(status) { break }
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    if next.isEmpty { return nil }
                    break
                }
                let child = try FileTree.openDirectory(component, in: layer.directory.raw)
                next.append(LayerDirectory(directory: child, isUpper: layer.isUpper))
                if try Self.isOpaque(child.raw) { break }
            }
            if next.isEmpty { return nil }
            level = next
        }
        return level
    }

    static func isWhiteout(_ status: stat) -> Bool {
        status.st_mode & S_IFMT == S_IFCHR && status.st_rdev == 0
    }

    static func isOpaque(_ directory: Int32) throws(SystemError) -> Bool {
        try ExtendedAttributes.get(.descriptor(directory), "trusted.overlay.opaque") == [UInt8(ascii: "y")]
    }
}
