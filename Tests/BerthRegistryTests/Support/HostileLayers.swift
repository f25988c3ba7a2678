import BerthArchive
import BerthOCI
import BerthRegistry
import BerthTestSupport
import BerthUnpack
import Foundation
import Synchronization

/// Hostile layer blobs built in the test: tar headers by hand, gzip by `/usr/bin/gzip`.
enum HostileLayers {
    /// A ustar header for a regular file `name` declaring `size` bytes.
    static func tarHeader(_ name: String, size: Int64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int64, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(1_700_000_000, width: 12), at: 136, width: 12)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for offset in 148..<156 { header[offset] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int64($1) }
        put(octal(sum, width: 7), at: 148, width: 7)
        return header
    }

    /// A tar of regular files, padded, with the end-of-archive blocks.
    static func tar(_ files: [(name: String, contents: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for file in files {
            out += tarHeader(file.name, size: Int64(file.contents.count))
            out += file.contents
            out += [UInt8](repeating: 0, count: (512 - file.contents.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// `bytes` gzipped (fastest level, no name or time: reproducible).
    static func gzip(_ bytes: [UInt8], in directory: String) throws -> [UInt8] {
        let path = directory + "/gzip-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try run("/usr/bin/gzip", ["-1", "-n", "-f", path], timeout: 60)
        defer { try? FileManager.default.removeItem(atPath: path + ".gz") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// `count` zero bytes gzipped, without holding them in memory.
    static func gzippedZeros(_ count: Int64, in directory: String) throws -> [UInt8] {
        let path = directory + "/zeros-\(UUID().uuidString).gz"
        try run("/bin/sh", ["-c", "head -c \(count) /dev/zero | /usr/bin/gzip -1 -n > '\(path)'"], timeout: 60)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A gzip layer (concatenated gzip members, as RFC 1952 allows) of one
    /// file `bomb` of `members` × 64 MiB zeros: about 290 KB per member
    /// compressed, 64 MiB per member expanded.
    static func bomb(members: Int, in directory: String) throws -> [UInt8] {
        let member: Int64 = 64 << 20
        let zeros = try gzippedZeros(member, in: directory)
        var layer = try gzip(tarHeader("bomb", size: member * Int64(members)), in: directory)
        for _ in 0..<members { layer += zeros }
        return layer + (try gzip([UInt8](repeating: 0, count: 1024), in: directory))
    }
}

/// Feeds each downloading layer into an `Unpacker` through a `ByteChannel`
/// (as berthd's streaming unpack does) and raises `failed` as soon as the
/// unpack fails.
final class StreamingUnpackSink: LayerSink, Sendable {
    let unpacker: Unpacker
    let failed = Signal()
    private let state = Mutex<(layers: [Int: UnpackLayer], task: Task<Unpacker.Result, any Error>?)>(([:], nil))

    init(unpacker: Unpacker) {
        self.unpacker = unpacker
    }

    func consumer(for layer: Descriptor, index: Int, image: PulledImage) async throws -> (any LayerConsumer)? {
        guard let diffIDs = image.config?.rootfs.diffIDs, index < diffIDs.count else { return nil }
        let channel = ByteChannel()
        let unpacker = self.unpacker
        let failed = self.failed
        state.withLock { state in
            state.layers[index] = UnpackLayer(descriptor: layer, diffID: diffIDs[index], channel: channel)
            if state.layers.count == diffIDs.count {
                let ordered = (0..<diffIDs.count).compactMap { state.layers[$0] }
                state.task = Task {
                    do {
                        return try await unpacker.unpack(ordered)
                    } catch {
                        failed.raise()
                        throw error
                    }
                }
            }
        }
        return ByteChannelConsumer(channel: channel)
    }

    /// The unpack's outcome (nil if it never started).
    func result() async throws -> Unpacker.Result? {
        try await state.withLock { $0.task }?.value
    }
}
