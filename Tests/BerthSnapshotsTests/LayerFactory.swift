import BerthOCI
import BerthUnpack
import Foundation

/// Layer tars written by Python's `tarfile`, so the corpus does not depend
/// on the code under test. Each entry is one Python `add(...)` call.
enum Py {
    static let mtime = 1_500_000_000

    static func file(
        _ name: String, _ data: String = "data\n", mode: Int = 0o644, uid: Int = 0, gid: Int = 0,
        mtime: Int = Py.mtime, xattrs: [String: String] = [:]
    ) -> String {
        "add(t, \(literal(name)), 'file', data=\(literal(data)).encode(), mode=\(mode), uid=\(uid), gid=\(gid), "
            + "mtime=\(mtime), xattrs=\(dictionary(xattrs)))"
    }

    /// A regular file of `size` zero bytes, streamed (for bombs).
    static func zeros(_ name: String, size: Int) -> String {
        "add(t, \(literal(name)), 'file', zeros=\(size))"
    }

    static func dir(_ name: String, mode: Int = 0o755, uid: Int = 0, gid: Int = 0, mtime: Int = Py.mtime) -> String {
        "add(t, \(literal(name)), 'dir', mode=\(mode), uid=\(uid), gid=\(gid), mtime=\(mtime))"
    }

    static func symlink(_ name: String, _ target: String, uid: Int = 0, gid: Int = 0) -> String {
        "add(t, \(literal(name)), 'symlink', link=\(literal(target)), mode=0o777, uid=\(uid), gid=\(gid))"
    }

    static func hardlink(_ name: String, _ target: String) -> String {
        "add(t, \(literal(name)), 'hardlink', link=\(literal(target)))"
    }

    static func char(_ name: String, major: Int, minor: Int, mode: Int = 0o666) -> String {
        "add(t, \(literal(name)), 'char', major=\(major), minor=\(minor), mode=\(mode))"
    }

    static func block(_ name: String, major: Int, minor: Int) -> String {
        "add(t, \(literal(name)), 'block', major=\(major), minor=\(minor), mode=0o660)"
    }

    static func fifo(_ name: String, mode: Int = 0o644) -> String {
        "add(t, \(literal(name)), 'fifo', mode=\(mode))"
    }

    static func literal(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    static func dictionary(_ map: [String: String]) -> String {
        "{" + map.sorted { $0.key < $1.key }.map { "\(literal($0.key)): \(literal($0.value))" }.joined(separator: ", ")
            + "}"
    }

    static let prelude = """
        import io, sys, tarfile
        T = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE,
             'hardlink': tarfile.LNKTYPE, 'char': tarfile.CHRTYPE, 'block': tarfile.BLKTYPE,
             'fifo': tarfile.FIFOTYPE}
        class Zeros(io.RawIOBase):
            def __init__(self, n): self.n = n
            def readable(self): return True
            def readinto(self, b):
                k = min(len(b), self.n)
                b[:k] = bytes(k)
                self.n -= k
                return k
        def add(t, name, kind='file', data=b'', link='', mode=0o644, uid=0, gid=0, mtime=1500000000,
                major=0, minor=0, xattrs=None, zeros=0):
            i = tarfile.TarInfo(name)
            i.type = T[kind]; i.mode = mode; i.uid = uid; i.gid = gid; i.mtime = mtime
            i.linkname = link; i.devmajor = major; i.devminor = minor
            if xattrs:
                i.pax_headers = {'SCHILY.xattr.' + k: v for k, v in xattrs.items()}
            if kind == 'file':
                i.size = zeros or len(data)
                t.addfile(i, io.BufferedReader(Zeros(zeros), 1 << 20) if zeros else io.BytesIO(data))
            else:
                t.addfile(i)
        t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)

        """
}

/// A layer blob on disk with its descriptor and diff ID.
struct TestLayer: Sendable {
    enum Compression: Sendable {
        case none
        case gzip
        case zstd
    }

    let path: String
    let tarPath: String
    let descriptor: Descriptor
    let diffID: Digest

    var unpackLayer: UnpackLayer {
        UnpackLayer(descriptor: descriptor, diffID: diffID, path: path)
    }

    /// The same blob claiming another diff ID.
    func claiming(diffID: Digest) -> UnpackLayer {
        UnpackLayer(descriptor: descriptor, diffID: diffID, path: path)
    }

    /// Writes a layer from Python `add(...)` lines into `directory/name.tar[.gz|.zst]`.
    static func make(
        _ entries: [String], in directory: String, name: String, compression: Compression = .gzip
    ) throws -> TestLayer {
        let tarPath = "\(directory)/\(name).tar"
        let script = Py.prelude + entries.joined(separator: "\n") + "\nt.close()\n"
        try run("/usr/bin/python3", ["-c", script, tarPath])
        let path: String
        let mediaType: MediaType
        switch compression {
        case .none:
            path = tarPath
            mediaType = .ociLayer
        case .gzip:
            path = tarPath + ".gz"
            try run(
                "/usr/bin/python3",
                [
                    "-c",
                    "import gzip,shutil,sys\nshutil.copyfileobj(open(sys.argv[1],'rb'), gzip.open(sys.argv[2],'wb',6))",
                    tarPath, path,
                ])
            mediaType = .ociLayerGzip
        case .zstd:
            path = tarPath + ".zst"
            try run("/usr/bin/zstd", ["-q", "-f", "-o", path, tarPath])
            mediaType = .ociLayerZstd
        }
        let blob = try digestAndSize(path)
        let uncompressed = try digestAndSize(tarPath)
        return TestLayer(
            path: path, tarPath: tarPath,
            descriptor: Descriptor(mediaType: mediaType, digest: blob.digest, size: blob.size),
            diffID: uncompressed.digest)
    }

    static func digestAndSize(_ path: String) throws -> (digest: Digest, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        defer { try? handle.close() }
        var digester = Digester()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            digester.update(chunk)
        }
        return (digester.finalize(), digester.count)
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
