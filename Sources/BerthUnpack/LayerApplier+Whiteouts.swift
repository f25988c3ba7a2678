import BerthErrors
import BerthArchive
import BerthSnapshots
import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension LayerApplier {
    /// `.wh.<name>`: an overlay whiteout (char device 0/0), or the removal of `name`.
    func applyWhiteout(_ name: [UInt8], in directory: [[UInt8]], entry: TarEntry) throws {
        switch target.whiteouts {
        case .overlay:
            guard let parent = try upper.directory(directory, create: true, entry: entry.path) else { return }
            try clear(name, in: parent.raw, keepDirectory: false)
            try posix(name.withCName { mknodat(parent.raw, $0, S_IFCHR, 0) }, "mknod whiteout")
            guard let uid = uid_t(exactly: entry.uid), let gid = gid_t(exactly: entry.gid) else {
                throw EntryProblem("owner \(entry.uid):\(entry.gid) is out of range")
            }
            try FileTree.setOwner(.entry(directory: parent.raw, name: name), uid: uid, gid: gid)
        case .delete:
            // Nothing to delete when the directory does not exist; a symlinked
            // parent is still refused.
            guard let parent = try upper.directory(directory, create: false, entry: entry.path) else { return }
            try clear(name, in: parent.raw, keepDirectory: false)
        }
    }

    /// `.wh..wh..opq`: hide the lower layers' contents of the directory.
    func applyOpaque(_ directory: [[UInt8]], entry: TarEntry) throws {
        switch target.whiteouts {
        case .overlay:
            guard let parent = try upper.directory(directory, create: true, entry: entry.path) else { return }
            try ExtendedAttributes.set(.descriptor(parent.raw), "trusted.overlay.opaque", [UInt8(ascii: "y")])
        case .delete:
            guard let parent = try upper.directory(directory, create: false, entry: entry.path) else { return }
            let prefix = joined(directory)
            for child in try FileTree.names(in: parent.raw) {
                let path = prefix.isEmpty ? child : prefix + [0x2F] + child
                if written.contains(path) { continue }
                try clear(child, in: parent.raw, keepDirectory: false)
            }
        }
    }
}
