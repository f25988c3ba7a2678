public import BerthOCI

/// Turns a user string (`name`, `uid`, `name:group`, `uid:gid`, `uid:group`)
/// into the `process.user` of a spec, the way Docker and containerd do.
///
/// - The user part matches a passwd entry by name or by uid. A name with no
///   entry is an error; a uid with no entry is used as is, with gid 0.
/// - An explicit group matches a group entry by name or gid; a name with no
///   entry is an error, a gid with no entry is used as is. With an explicit
///   group, `additionalGids` holds just that gid.
/// - Otherwise the primary gid is the passwd entry's, and `additionalGids` is
///   the primary gid followed by every group that lists the user as a member.
///   containerd includes the primary gid so a process never keeps a
///   supplementary group it should not have.
/// - An empty string means uid 0 (root), resolved like `0`.
public struct UserResolver: Sendable {
    public var database: UserDatabase

    public init(database: UserDatabase) {
        self.database = database
    }

    /// Reads the accounts of `rootfs` (see ``UserDatabase/init(rootfs:)``).
    public init(rootfs: String) throws(BundleError) {
        self.init(database: try UserDatabase(rootfs: rootfs))
    }

    /// The highest id accepted, as runc accepts (2^31 - 1).
    public static let maxID: UInt32 = 0x7fff_ffff

    public func resolve(_ userString: String) throws(BundleError) -> Spec.User {
        let parts = userString.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let userPart = parts.isEmpty || parts[0].isEmpty ? "0" : String(parts[0])
        let groupPart = parts.count > 1 ? String(parts[1]) : nil

        let numericUID = try Self.numericID(userPart, kind: "uid")
        let entry = database.users?.first { $0.name == userPart || (numericUID != nil && $0.uid == numericUID) }
        guard let uid = entry?.uid ?? numericUID else {
            if database.users == nil {
                throw BundleError.notFound(
                    "cannot resolve user \"\(userPart)\": the rootfs has no /etc/passwd (use a numeric uid)"
                )
            }
            throw BundleError.notFound("unable to find user \"\(userPart)\": no matching entry in /etc/passwd")
        }

        if let groupPart {
            let gid = try resolveGroup(groupPart)
            return Spec.User(uid: uid, gid: gid, additionalGids: [gid])
        }
        let gid = entry?.gid ?? 0
        var additional = [gid]
        if let name = entry?.name {
            for group in database.groups ?? [] where group.members.contains(name) && !additional.contains(group.gid) {
                additional.append(group.gid)
            }
        }
        return Spec.User(uid: uid, gid: gid, additionalGids: additional)
    }

    private func resolveGroup(_ group: String) throws(BundleError) -> UInt32 {
        guard !group.isEmpty else {
            throw BundleError.invalid("invalid user: the group after ':' is empty")
        }
        let numericGID = try Self.numericID(group, kind: "gid")
        if let entry = database.groups?.first(where: { $0.name == group || (numericGID != nil && $0.gid == numericGID) }
        ) {
            return entry.gid
        }
        if let numericGID { return numericGID }
        if database.groups == nil {
            throw BundleError.notFound(
                "cannot resolve group \"\(group)\": the rootfs has no /etc/group (use a numeric gid)"
            )
        }
        throw BundleError.notFound("unable to find group \"\(group)\": no matching entry in /etc/group")
    }

    /// The id if `text` is all digits; throws when it is out of range.
    private static func numericID(_ text: String, kind: String) throws(BundleError) -> UInt32? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        guard let value = UInt32(text), value <= maxID else {
            throw BundleError.invalid("\(kind) \(text) is out of range (0...\(maxID))")
        }
        return value
    }
}
