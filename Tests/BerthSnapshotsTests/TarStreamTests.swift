import BerthArchive
import BerthErrors
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

@Suite struct TarStreamTests {
    static let entries: [(TarEntry, [UInt8])] = {
        var file = TarEntry(path: "dir/file.txt", mode: 0o4755, uid: 1000, gid: 2000)
        file.modificationTime = .init(seconds: 1_600_000_000, nanoseconds: 123_456_000)
        file.extendedAttributes = [.init(name: "user.comment", value: Array("hi".utf8))]
        let long = TarEntry(path: String(repeating: "long-name/", count: 20) + "leaf", mode: 0o600)
        return [
            (TarEntry(path: "dir/", kind: .directory, mode: 0o755), []),
            (file, Array("hello, tar\n".utf8)),
            (TarEntry(path: "dir/link", kind: .symlink, mode: 0o777, linkTarget: "file.txt"), []),
            (TarEntry(path: "dir/hard", kind: .hardlink, linkTarget: "dir/file.txt"), []),
            (TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), []),
            (TarEntry(path: "dev/sda", kind: .blockDevice, mode: 0o660, deviceMajor: 8, deviceMinor: 0), []),
            (TarEntry(path: "run/fifo", kind: .fifo, mode: 0o644), []),
            (long, Array(repeating: 0x41, count: 100_000)),
            (TarEntry(path: "big-ids", uid: 3_000_000_000, gid: 4_000_000), []),
        ]
    }()

    static func write(_ compression: TarReader.Compression) throws -> [UInt8] {
        var output: [UInt8] = []
        let writer = try TarWriter(compression: compression) { output += $0 }
        for (entry, data) in entries {
            try writer.append(entry, data: data)
        }
        try writer.finish()
        return output
    }

    static func read(_ source: any ByteSource) throws -> (
        entries: [(TarEntry, [UInt8])], reader: TarReader, digest: Digest
    ) {
        var digester = Digester()
        let reader = try TarReader(source: source, onUncompressedBytes: { digester.update($0) })
        var result: [(TarEntry, [UInt8])] = []
        while let entry = try reader.next() {
            var data: [UInt8] = []
            try reader.readData { offset, bytes in
                #expect(offset == Int64(data.count))
                data += bytes
            }
            result.append((entry, data))
        }
        try reader.finish()
        return (result, reader, digester.finalize())
    }

    @Test(arguments: [TarReader.Compression.none, .gzip, .zstd])
    func roundTripKeepsEveryField(_ compression: TarReader.Compression) throws {
        let bytes = try Self.write(compression)
        let (read, reader, _) = try Self.read(MemorySource(bytes))
        #expect(reader.compression == compression)
        #expect(reader.compressedByteCount == Int64(bytes.count))
        #expect(read.count == Self.entries.count)
        for ((expected, data), (actual, actualData)) in zip(Self.entries, read) {
            #expect(actual.path == expected.path, "\(expected.path)")
            #expect(actual.kind == expected.kind, "\(expected.path)")
            #expect(actual.mode == expected.mode, "\(expected.path)")
            #expect(actual.uid == expected.uid && actual.gid == expected.gid, "\(expected.path)")
            #expect(actual.linkTarget == expected.linkTarget, "\(expected.path)")
            #expect(actual.deviceMajor == expected.deviceMajor && actual.deviceMinor == expected.deviceMinor)
            #expect(actual.extendedAttributes == expected.extendedAttributes, "\(expected.path)")
            #expect(actualData == data, "\(expected.path)")
        }
        #expect(read[1].0.modificationTime == TarEntry.Timestamp(seconds: 1_600_000_000, nanoseconds: 123_456_000))
    }

    @Test func uncompressedDigestCoversTheWholeStream() throws {
        let plain = try Self.write(.none)
        let gzip = try Self.write(.gzip)
        let (_, reader, digest) = try Self.read(MemorySource(gzip))
        #expect(digest == Digest.sha256(of: plain))
        #expect(reader.uncompressedByteCount == Int64(plain.count))
        // Trailing zero blocks after the end-of-archive marker are hashed too.
        let padded = plain + [UInt8](repeating: 0, count: 10240)
        #expect(try Self.read(MemorySource(padded)).digest == Digest.sha256(of: padded))
    }

    @Test func readsPythonTarfileOutput() throws {
        let directory = try TemporaryDirectory(prefix: "berth-tar")
        defer { directory.remove() }
        let layer = try TestLayer.make(
            [
                Py.file("a/b", "python\n", mode: 0o640, uid: 5, gid: 6, xattrs: ["user.k": "v"]),
                Py.symlink("s", "/abs/target"), Py.char("c", major: 4, minor: 5),
                Py.file(String(repeating: "n", count: 200), "long\n"),
            ], in: directory.path, name: "py", compression: .zstd)
        let (entries, reader, digest) = try Self.read(FileDescriptorSource(path: layer.path))
        #expect(reader.compression == .zstd)
        #expect(digest == layer.diffID)
        #expect(entries.map(\.0.path) == ["a/b", "s", "c", String(repeating: "n", count: 200)])
        #expect(entries[0].0.extendedAttributes == [.init(name: "user.k", value: Array("v".utf8))])
        #expect(entries[0].0.mode == 0o640 && entries[0].0.uid == 5 && entries[0].0.gid == 6)
        #expect(entries[1].0.linkTarget == "/abs/target")
        #expect(entries[2].0.deviceMajor == 4 && entries[2].0.deviceMinor == 5)
    }

    @Test func channelFeedsAReaderWhileBytesArrive() async throws {
        let bytes = try Self.write(.gzip)
        let channel = ByteChannel(capacity: 4096)
        let producer = Task {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 777)
                try await channel.send(Array(bytes[offset..<end]))
                offset = end
            }
            channel.finish()
        }
        let count = try await runOnThread {
            try Self.read(channel).entries.count
        }
        try await producer.value
        #expect(count == Self.entries.count)
    }

    @Test func closingTheChannelStopsTheProducer() async throws {
        let channel = ByteChannel(capacity: 16)
        let producer = Task {
            try await channel.send([UInt8](repeating: 1, count: 64))
            try await channel.send([UInt8](repeating: 2, count: 64))
        }
        try await Task.sleep(for: .milliseconds(50))
        channel.close()
        do {
            try await producer.value
            Issue.record("send after close succeeded")
        } catch let error as ArchiveError {
            #expect(error.code == .cancelled)
        }
    }

    @Test func failedChannelFailsTheReader() async throws {
        let channel = ByteChannel()
        try await channel.send(Array(try Self.write(.gzip).prefix(100)))
        channel.fail(ArchiveError(.unavailable, "connection reset"))
        let code = try await runOnThread { () -> ErrorCode? in
            errorCode { _ = try Self.read(channel) }
        }
        #expect(code == .unavailable)
    }

    @Test func limitsAndCorruptionAreReported() throws {
        let plain = try Self.write(.none)
        let limited = errorCode {
            let reader = try TarReader(
                source: MemorySource(plain), options: .init(maxUncompressedBytes: 50_000))
            while try reader.next() != nil {
                try reader.readData { _, _ in }
            }
        }
        #expect(limited == .resourceExhausted)
        var corrupt = try Self.write(.gzip)
        for index in stride(from: 40, to: corrupt.count - 10, by: 7) {
            corrupt[index] ^= 0x5A
        }
        #expect(errorCode { _ = try Self.read(MemorySource(corrupt)) } == .invalidArgument)
        #expect(errorCode { _ = try Self.read(MemorySource(Array("not a tar at all, clearly".utf8))) } != nil)
        #expect(try Self.read(MemorySource([])).entries.isEmpty)
    }
}

/// Runs blocking work off the Swift concurrency pool.
func runOnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
