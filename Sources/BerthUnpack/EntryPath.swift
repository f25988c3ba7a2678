import BerthErrors
/// A tar member name checked and split into components relative to the
/// snapshot root: `.` and empty components dropped; absolute names and `..`
/// components refused.
struct EntryPath: Hashable {
    /// What the name asks for.
    enum Meaning: Hashable {
        /// Create or replace the file at `components`.
        case file
        /// Hide `name` in the directory `components` (a `.wh.<name>` entry).
        case whiteout(name: [UInt8])
        /// Hide everything below the directory `components` from lower layers.
        case opaque
        /// An AUFS metadata entry (`.wh..wh.*`), ignored.
        case ignored
    }

    /// The components of the file, or of the directory a whiteout is in.
    var components: [[UInt8]]
    var meaning: Meaning

    static let dot: [UInt8] = [0x2E]
    static let dotDot: [UInt8] = [0x2E, 0x2E]
    static let whiteoutPrefix = Array(".wh.".utf8)
    static let metaPrefix = Array(".wh..wh.".utf8)
    static let opaqueName = Array(".wh..wh..opq".utf8)

    /// Parses a member name.
    ///
    /// - Parameter interpretWhiteouts: false for hardlink targets.
    /// - Throws: `EntryProblem` for absolute names, `..` components and
    ///   whiteouts that name no file.
    init(_ bytes: [UInt8], interpretWhiteouts: Bool = true) throws(EntryProblem) {
        if bytes.first == 0x2F {
            throw EntryProblem("absolute path names are not allowed in a layer")
        }
        var components: [[UInt8]] = []
        for part in bytes.split(separator: 0x2F, omittingEmptySubsequences: true) {
            let component = Array(part)
            if component == Self.dot { continue }
            if component == Self.dotDot {
                throw EntryProblem("path has a \"..\" component, which would leave the snapshot root")
            }
            components.append(component)
        }
        meaning = .file
        if interpretWhiteouts, let leaf = components.last, leaf.starts(with: Self.whiteoutPrefix) {
            components.removeLast()
            if leaf == Self.opaqueName {
                meaning = .opaque
            } else if leaf.starts(with: Self.metaPrefix) {
                meaning = .ignored
            } else {
                let name = Array(leaf.dropFirst(Self.whiteoutPrefix.count))
                if name.isEmpty || name == Self.dot || name == Self.dotDot {
                    throw EntryProblem("whiteout names no file in its directory")
                }
                meaning = .whiteout(name: name)
            }
        }
        self.components = components
    }

    /// The path as text, for messages.
    static func display(_ components: some Collection<[UInt8]>) -> String {
        components.isEmpty ? "/" : components.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }
}
