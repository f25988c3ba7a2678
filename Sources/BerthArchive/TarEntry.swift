/// One member of a tar stream: its header, decoded.
///
/// Names are kept as the raw bytes of the archive (Linux names are bytes and
/// need not be UTF-8); `path` and `linkTarget` are lossy UTF-8 views for
/// display and for building entries in code.
public struct TarEntry: Sendable, Hashable {
    /// What an entry creates.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case regular
        case directory
        case symlink
        /// A hard link to an earlier member named by `linkTargetBytes`.
        case hardlink
        case characterDevice
        case blockDevice
        case fifo
        case socket

        public var description: String {
            switch self {
            case .regular: "regular file"
            case .directory: "directory"
            case .symlink: "symlink"
            case .hardlink: "hardlink"
            case .characterDevice: "character device"
            case .blockDevice: "block device"
            case .fifo: "fifo"
            case .socket: "socket"
            }
        }
    }

    /// A point in time with nanoseconds, as pax headers carry it.
    public struct Timestamp: Sendable, Hashable {
        /// Seconds since the Unix epoch.
        public var seconds: Int64
        /// Nanoseconds past `seconds`.
        public var nanoseconds: Int32

        public init(seconds: Int64, nanoseconds: Int32 = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }

    /// An extended attribute (`SCHILY.xattr.<name>` in a pax header).
    public struct ExtendedAttribute: Sendable, Hashable {
        /// The attribute name with its namespace, e.g. `security.capability`.
        public var name: String
        /// The raw value.
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// The member name as stored in the archive.
    public var pathBytes: [UInt8]
    /// What the entry creates.
    public var kind: Kind
    /// Permission bits including set-user-ID, set-group-ID and sticky (`0o7777`).
    public var mode: UInt32
    /// The owner's numeric user ID.
    public var uid: Int64
    /// The owner's numeric group ID.
    public var gid: Int64
    /// The modification time.
    public var modificationTime: Timestamp
    /// The access time when the archive records one.
    public var accessTime: Timestamp?
    /// The size of the member's data (the logical size for sparse files).
    public var size: Int64
    /// The target of a symlink or hardlink, as stored in the archive.
    public var linkTargetBytes: [UInt8]?
    /// The major number of a device entry.
    public var deviceMajor: UInt32
    /// The minor number of a device entry.
    public var deviceMinor: UInt32
    /// Extended attributes, in archive order.
    public var extendedAttributes: [ExtendedAttribute]

    /// Creates an entry; the defaults describe an empty root-owned file.
    public init(
        path: String,
        kind: Kind = .regular,
        mode: UInt32 = 0o644,
        uid: Int64 = 0,
        gid: Int64 = 0,
        modificationTime: Timestamp = Timestamp(seconds: 0),
        size: Int64 = 0,
        linkTarget: String? = nil,
        deviceMajor: UInt32 = 0,
        deviceMinor: UInt32 = 0,
        extendedAttributes: [ExtendedAttribute] = []
    ) {
        self.pathBytes = Array(path.utf8)
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.accessTime = nil
        self.size = size
        self.linkTargetBytes = linkTarget.map { Array($0.utf8) }
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.extendedAttributes = extendedAttributes
    }

    /// The member name, decoded as UTF-8 (invalid bytes become U+FFFD).
    public var path: String {
        get { String(decoding: pathBytes, as: UTF8.self) }
        set { pathBytes = Array(newValue.utf8) }
    }

    /// The symlink or hardlink target, decoded as UTF-8.
    public var linkTarget: String? {
        get { linkTargetBytes.map { String(decoding: $0, as: UTF8.self) } }
        set { linkTargetBytes = newValue.map { Array($0.utf8) } }
    }
}
