import BerthErrors
internal import CLibarchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// File-type bits of st_mode; libarchive's AE_IF* macros are casts Swift does not import.
let modeTypeMask: UInt32 = 0o170000
let modeRegular: UInt32 = 0o100000
let modeDirectory: UInt32 = 0o040000
let modeSymlink: UInt32 = 0o120000
let modeCharacter: UInt32 = 0o020000
let modeBlock: UInt32 = 0o060000
let modeFifo: UInt32 = 0o010000
let modeSocket: UInt32 = 0o140000

extension TarEntry {
    /// Decodes a libarchive entry header.
    init(archiveEntry entry: OpaquePointer) throws {
        guard
            let name = archive_entry_pathname(entry) ?? archive_entry_pathname_utf8(entry)
        else {
            throw ArchiveError(.invalidArgument, "tar entry without a name")
        }
        let pathBytes = Self.bytes(name)
        let hardlink = archive_entry_hardlink(entry) ?? archive_entry_hardlink_utf8(entry)
        let symlink = archive_entry_symlink(entry) ?? archive_entry_symlink_utf8(entry)
        let kind: Kind
        var target: [UInt8]?
        if let hardlink {
            kind = .hardlink
            target = Self.bytes(hardlink)
        } else {
            switch UInt32(archive_entry_filetype(entry)) & modeTypeMask {
            case modeRegular: kind = .regular
            case modeDirectory: kind = .directory
            case modeSymlink:
                kind = .symlink
                target = symlink.map(Self.bytes) ?? []
            case modeCharacter: kind = .characterDevice
            case modeBlock: kind = .blockDevice
            case modeFifo: kind = .fifo
            case modeSocket: kind = .socket
            default:
                throw ArchiveError(
                    .invalidArgument,
                    "tar entry \"\(String(decoding: pathBytes, as: UTF8.self))\": unknown file type")
            }
        }
        self.init(path: "", kind: kind)
        self.pathBytes = pathBytes
        self.linkTargetBytes = target
        self.mode = UInt32(archive_entry_perm(entry)) & 0o7777
        self.uid = Int64(archive_entry_uid(entry))
        self.gid = Int64(archive_entry_gid(entry))
        self.modificationTime = Timestamp(
            seconds: Int64(archive_entry_mtime(entry)), nanoseconds: Int32(archive_entry_mtime_nsec(entry)))
        if archive_entry_atime_is_set(entry) != 0 {
            self.accessTime = Timestamp(
                seconds: Int64(archive_entry_atime(entry)), nanoseconds: Int32(archive_entry_atime_nsec(entry)))
        }
        self.size = archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : 0
        if kind == .characterDevice || kind == .blockDevice {
            self.deviceMajor = UInt32(truncatingIfNeeded: archive_entry_rdevmajor(entry))
            self.deviceMinor = UInt32(truncatingIfNeeded: archive_entry_rdevminor(entry))
        }
        self.extendedAttributes = Self.extendedAttributes(of: entry)
    }

    private static func extendedAttributes(of entry: OpaquePointer) -> [ExtendedAttribute] {
        guard archive_entry_xattr_reset(entry) > 0 else { return [] }
        var result: [ExtendedAttribute] = []
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var seen = Set<String>()
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            // libarchive's pax writer stores each attribute twice (LIBARCHIVE.
            // and SCHILY. headers), and its reader reports both.
            let text = String(cString: name)
            guard seen.insert(text).inserted else { continue }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            result.append(ExtendedAttribute(name: text, value: bytes))
        }
        return result
    }

    private static func bytes(_ cString: UnsafePointer<CChar>) -> [UInt8] {
        let count = strlen(cString)
        return cString.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// Fills a libarchive entry for writing.
    func fill(_ entry: OpaquePointer) {
        pathBytes.withCString { archive_entry_copy_pathname(entry, $0) }
        let type: UInt32
        switch kind {
        case .regular, .hardlink: type = modeRegular
        case .directory: type = modeDirectory
        case .symlink: type = modeSymlink
        case .characterDevice: type = modeCharacter
        case .blockDevice: type = modeBlock
        case .fifo: type = modeFifo
        case .socket: type = modeSocket
        }
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(mode & 0o7777))
        archive_entry_set_uid(entry, uid)
        archive_entry_set_gid(entry, gid)
        archive_entry_set_mtime(entry, time_t(modificationTime.seconds), Int(modificationTime.nanoseconds))
        if let accessTime {
            archive_entry_set_atime(entry, time_t(accessTime.seconds), Int(accessTime.nanoseconds))
        }
        switch kind {
        case .regular:
            archive_entry_set_size(entry, size)
        case .hardlink:
            archive_entry_set_size(entry, 0)
            (linkTargetBytes ?? []).withCString { archive_entry_copy_hardlink(entry, $0) }
        case .symlink:
            archive_entry_set_size(entry, 0)
            (linkTargetBytes ?? []).withCString { archive_entry_copy_symlink(entry, $0) }
        case .characterDevice, .blockDevice:
            archive_entry_set_size(entry, 0)
            archive_entry_set_rdevmajor(entry, dev_t(deviceMajor))
            archive_entry_set_rdevminor(entry, dev_t(deviceMinor))
        default:
            archive_entry_set_size(entry, 0)
        }
        for attribute in extendedAttributes {
            attribute.value.withUnsafeBytes { value in
                archive_entry_xattr_add_entry(entry, attribute.name, value.baseAddress, value.count)
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with a NUL-terminated copy of the bytes.
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var copy = self
        copy.append(0)
        return try copy.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return try "".withCString(body) }
                return try body(base)
            }
        }
    }
}
