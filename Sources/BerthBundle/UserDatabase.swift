/// The accounts of a root filesystem: its `/etc/passwd` and `/etc/group`.
///
/// Either file may be absent (`nil`): scratch and distroless images often have
/// no `/etc/passwd`, and numeric users still work there.
public struct UserDatabase: Equatable, Sendable {
    /// One `/etc/passwd` line.
    public struct User: Equatable, Sendable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var home: String

        public init(name: String, uid: UInt32, gid: UInt32, home: String) {
            self.name = name
            self.uid = uid
            self.gid = gid
            self.home = home
        }
    }

    /// One `/etc/group` line.
    public struct Group: Equatable, Sendable {
        public var name: String
        public var gid: UInt32
        public var members: [String]

        public init(name: String, gid: UInt32, members: [String]) {
            self.name = name
            self.gid = gid
            self.members = members
        }
    }

    /// The users, in file order; nil when the rootfs has no `/etc/passwd`.
    public var users: [User]?
    /// The groups, in file order; nil when the rootfs has no `/etc/group`.
    public var groups: [Group]?

    public init(users: [User]?, groups: [Group]?) {
        self.users = users
        self.groups = groups
    }

    /// Parses the two files' contents. Blank lines, `#` comments and lines
    /// whose ids are not numbers are skipped (a malformed id must never
    /// silently become 0, which is root).
    public init(passwd: String?, group: String?) {
        users = passwd.map { text in
            Self.records(text).compactMap { fields -> User? in
                guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else {
                    return nil
                }
                return User(name: fields[0], uid: uid, gid: gid, home: fields.count > 5 ? fields[5] : "/")
            }
        }
        groups = group.map { text in
            Self.records(text).compactMap { fields -> Group? in
                guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
                let members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
                return Group(name: fields[0], gid: gid, members: members)
            }
        }
    }

    /// Reads `/etc/passwd` and `/etc/group` of `rootfs`, never following a
    /// symbolic link out of it (see `RootfsFile`).
    public init(rootfs: String) throws(BundleError) {
        let passwd = try RootfsFile.readFile("/etc/passwd", in: rootfs)
        let group = try RootfsFile.readFile("/etc/group", in: rootfs)
        self.init(
            passwd: passwd.map { String(decoding: $0, as: UTF8.self) },
            group: group.map { String(decoding: $0, as: UTF8.self) }
        )
    }

    private static func records(_ text: String) -> [[String]] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            return trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
