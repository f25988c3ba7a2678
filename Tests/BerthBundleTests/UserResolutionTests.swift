import BerthErrors
import BerthBundle
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

@Suite("user resolution inside the rootfs")
struct UserResolutionTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        # a comment
        berth:x:1000:1000::/home/berth:/bin/sh
        broken:x:notanumber:0::/:/bin/sh
        app:x:2000:3000::/app:/bin/sh

        """
    static let group = """
        root:x:0:
        wheel:x:10:root,berth
        staff:x:50:berth
        apps:x:3000:
        berth:x:1000:

        """

    /// A temporary rootfs with the given `/etc` files (nil: absent).
    static func rootfs(passwd: String? = passwd, group: String? = group) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "berth-userdb")
        try FileManager.default.createDirectory(atPath: directory.path + "/etc", withIntermediateDirectories: true)
        if let passwd { try passwd.write(toFile: directory.path + "/etc/passwd", atomically: true, encoding: .utf8) }
        if let group { try group.write(toFile: directory.path + "/etc/group", atomically: true, encoding: .utf8) }
        return directory
    }

    static func resolve(_ user: String, in directory: TemporaryDirectory) throws -> Spec.User {
        try UserResolver(rootfs: directory.path).resolve(user)
    }

    @Test("forms: name, uid, name:group, uid:gid, uid:groupname, empty")
    func forms() throws {
        let root = try Self.rootfs()
        defer { root.remove() }
        #expect(try Self.resolve("berth", in: root) == .init(uid: 1000, gid: 1000, additionalGids: [1000, 10, 50]))
        #expect(try Self.resolve("1000", in: root) == .init(uid: 1000, gid: 1000, additionalGids: [1000, 10, 50]))
        #expect(try Self.resolve("berth:staff", in: root) == .init(uid: 1000, gid: 50, additionalGids: [50]))
        #expect(try Self.resolve("1000:10", in: root) == .init(uid: 1000, gid: 10, additionalGids: [10]))
        #expect(try Self.resolve("2000:apps", in: root) == .init(uid: 2000, gid: 3000, additionalGids: [3000]))
        #expect(try Self.resolve("", in: root) == .init(uid: 0, gid: 0, additionalGids: [0, 10]))
        #expect(try Self.resolve("root", in: root) == .init(uid: 0, gid: 0, additionalGids: [0, 10]))
    }

    @Test("a numeric uid with no passwd entry runs with gid 0")
    func numericWithoutEntry() throws {
        let root = try Self.rootfs()
        defer { root.remove() }
        #expect(try Self.resolve("4242", in: root) == .init(uid: 4242, gid: 0, additionalGids: [0]))
        #expect(try Self.resolve("4242:4343", in: root) == .init(uid: 4242, gid: 4343, additionalGids: [4343]))
    }

    @Test("a group given by name; supplementary groups only in the implicit form")
    func groups() throws {
        let root = try Self.rootfs()
        defer { root.remove() }
        #expect(try Self.resolve("app", in: root).additionalGids == [3000])
        #expect(try Self.resolve("berth:wheel", in: root) == .init(uid: 1000, gid: 10, additionalGids: [10]))
        let missing = #expect(throws: BundleError.self) { try Self.resolve("berth:nope", in: root) }
        #expect(missing?.message.contains("unable to find group \"nope\"") == true)
    }

    @Test("an unknown name is a clear error; malformed lines never match")
    func unknownName() throws {
        let root = try Self.rootfs()
        defer { root.remove() }
        let error = #expect(throws: BundleError.self) { try Self.resolve("alice", in: root) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "unable to find user \"alice\": no matching entry in /etc/passwd")
        #expect(throws: BundleError.self) { try Self.resolve("broken", in: root) }
    }

    @Test("ids above 2^31-1 and empty groups are rejected")
    func ranges() throws {
        let root = try Self.rootfs()
        defer { root.remove() }
        #expect(throws: BundleError.self) { try Self.resolve("4294967295", in: root) }
        #expect(throws: BundleError.self) { try Self.resolve("1000:", in: root) }
    }

    @Test("a missing /etc/passwd: numeric ids work, names fail")
    func missingPasswd() throws {
        let root = try Self.rootfs(passwd: nil, group: nil)
        defer { root.remove() }
        #expect(try Self.resolve("1000", in: root) == .init(uid: 1000, gid: 0, additionalGids: [0]))
        #expect(try Self.resolve("1000:1000", in: root) == .init(uid: 1000, gid: 1000, additionalGids: [1000]))
        #expect(try Self.resolve("", in: root) == .init(uid: 0, gid: 0, additionalGids: [0]))
        let name = #expect(throws: BundleError.self) { try Self.resolve("berth", in: root) }
        #expect(name?.message.contains("the rootfs has no /etc/passwd") == true)
        let group = #expect(throws: BundleError.self) { try Self.resolve("0:staff", in: root) }
        #expect(group?.message.contains("the rootfs has no /etc/group") == true)
    }

    @Test("a rootfs that does not exist yet behaves like one without /etc/passwd")
    func missingRootfs() throws {
        let resolver = try UserResolver(rootfs: "/nonexistent/berth/rootfs")
        #expect(try resolver.resolve("7") == .init(uid: 7, gid: 0, additionalGids: [0]))
        #expect(throws: BundleError.self) { try resolver.resolve("root") }
    }

    // MARK: hostile symbolic links

    /// A rootfs whose /etc/passwd is a symbolic link to `target`. The host's
    /// /etc/passwd has `root`; the rootfs never does, so resolving `root`
    /// succeeds only if the host's file was read.
    static func hostileRootfs(linkingTo target: String) throws -> TemporaryDirectory {
        let root = try rootfs(passwd: nil, group: nil)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/etc/passwd", withDestinationPath: target)
        return root
    }

    @Test(
        "a symlinked /etc/passwd pointing at the host's is never followed out of the rootfs",
        arguments: ["/../../../../etc/passwd", "../../../../../../etc/passwd", "/etc/../../etc/passwd"]
    )
    func symlinkToHostPasswd(target: String) throws {
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
        let root = try Self.hostileRootfs(linkingTo: target)
        defer { root.remove() }
        // Inside the root every one of these targets is <root>/etc/passwd, the
        // link itself: resolution loops and fails cleanly.
        let error = #expect(throws: BundleError.self) { try Self.resolve("root", in: root) }
        #expect(error?.message.contains("symbolic links") == true, "\(error?.message ?? "")")
    }

    @Test("an absolute symlink target is resolved inside the rootfs")
    func symlinkToAbsolutePath() throws {
        let outside = try TemporaryDirectory(prefix: "berth-outside")
        defer { outside.remove() }
        try "evil:x:0:0::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n".write(
            toFile: outside.path + "/passwd", atomically: true, encoding: .utf8)
        let root = try Self.hostileRootfs(linkingTo: outside.path + "/passwd")
        defer { root.remove() }

        // Nothing at that path inside the rootfs: as if there were no /etc/passwd.
        let error = #expect(throws: BundleError.self) { try Self.resolve("evil", in: root) }
        #expect(error?.message.contains("no /etc/passwd") == true)
        #expect(try Self.resolve("0", in: root) == .init(uid: 0, gid: 0, additionalGids: [0]))

        // The same path inside the rootfs is what gets read.
        let inside = root.path + outside.path
        try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
        try "inroot:x:321:654::/:/bin/sh\n".write(toFile: inside + "/passwd", atomically: true, encoding: .utf8)
        #expect(try Self.resolve("inroot", in: root) == .init(uid: 321, gid: 654, additionalGids: [654]))
        #expect(throws: BundleError.self) { try Self.resolve("evil", in: root) }
    }

    @Test("a relative symlink to another file in the rootfs is followed")
    func symlinkInsideRoot() throws {
        let root = try Self.rootfs(passwd: nil, group: nil)
        defer { root.remove() }
        try FileManager.default.createDirectory(atPath: root.path + "/usr/share", withIntermediateDirectories: true)
        try "real:x:77:77::/:/bin/sh\n".write(
            toFile: root.path + "/usr/share/passwd", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root.path + "/etc/passwd", withDestinationPath: "../../../usr/share/passwd")
        #expect(try Self.resolve("real", in: root).uid == 77)
    }

    @Test("a symlinked /etc directory pointing outside stays inside")
    func symlinkedEtc() throws {
        let outside = try TemporaryDirectory(prefix: "berth-outside")
        defer { outside.remove() }
        try "evil:x:0:0::/:/bin/sh\n".write(toFile: outside.path + "/passwd", atomically: true, encoding: .utf8)
        let root = try TemporaryDirectory(prefix: "berth-userdb")
        defer { root.remove() }
        try FileManager.default.createSymbolicLink(atPath: root.path + "/etc", withDestinationPath: outside.path)
        #expect(throws: BundleError.self) { try Self.resolve("evil", in: root) }
    }

    @Test("a /etc/passwd that is not a regular file is refused, not read")
    func fifo() throws {
        let root = try Self.rootfs(passwd: nil, group: nil)
        defer { root.remove() }
        #expect(mkfifo(root.path + "/etc/passwd", 0o644) == 0)
        let error = #expect(throws: BundleError.self) { try Self.resolve("root", in: root) }
        #expect(error?.message.contains("not a regular file") == true)
    }

    @Test("parsing skips comments, blank lines and malformed ids")
    func parsing() {
        let database = UserDatabase(passwd: Self.passwd, group: Self.group)
        #expect(database.users?.map(\.name) == ["root", "berth", "app"])
        #expect(database.users?[1].home == "/home/berth")
        #expect(database.groups?.first { $0.name == "wheel" }?.members == ["root", "berth"])
        #expect(UserDatabase(passwd: nil, group: nil).users == nil)
    }
}
