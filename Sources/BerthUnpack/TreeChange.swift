import BerthSnapshots

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One difference between a lower and an upper directory tree, as
/// ``TreeDiff`` reports it (parents before children, names in byte order).
public struct TreeChange {
    /// What happened at `path`.
    public enum Kind: Sendable, Hashable {
        /// Exists only in the upper tree.
        case added
        /// Exists in both with a different type, metadata or content.
        case modified
        /// Exists only in the lower tree.
        case deleted
        /// The directory exists in both, but none of the lower tree's
        /// (several) entries survive in it: hide them all at once.
        case opaque
        /// Unchanged, reported only for non-directories with several links,
        /// so a writer can keep hardlinks to changed files intact.
        case unmodified
    }

    public var kind: Kind
    /// Components relative to the roots.
    public var path: [[UInt8]]
    /// lstat of the upper file (all kinds but `deleted` and `opaque`).
    public var status: stat?
    /// The upper directory holding the file (for `opaque`, the directory
    /// itself), open while the change is visited; read the file through it,
    /// never by path.
    public var directory: Int32
    /// The upper tree's directories from the root down to the one the
    /// change's tar entry goes in (for `opaque`, the directory itself), open
    /// while the change is visited.
    public var ancestors: [TreeDirectory]

    /// The last component.
    public var name: [UInt8] { path.last ?? [] }

    /// The path joined with `/`, as text (for messages and tests).
    public var displayPath: String {
        path.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }
}

/// An open directory of the upper tree and its path below the root.
public final class TreeDirectory {
    /// Components relative to the root (empty for the root).
    public let path: [[UInt8]]
    let descriptor: FileDescriptor

    /// The open descriptor (owned by this object).
    public var raw: Int32 { descriptor.raw }

    init(path: [[UInt8]], descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }
}
