import BerthArchive

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the input as a layer stream (plain, gzip or zstd tar) the way
/// BerthUnpack does: every entry's header, every data byte, then the end.
/// Decompression is capped so a bomb ends in an error, not a timeout.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var observed: Int64 = 0
    do {
        let reader = try TarReader(
            source: MemorySource(bytes),
            options: TarReader.Options(maxUncompressedBytes: 8 << 20, bufferSize: 64 << 10),
            onUncompressedBytes: { observed += Int64($0.count) })
        while let entry = try reader.next() {
            _ = entry.path
            _ = entry.linkTarget
            var read: Int64 = 0
            try reader.readData { offset, chunk in
                if offset < 0 { fail("negative data offset \(offset) in \(entry.path)") }
                read += Int64(chunk.count)
            }
        }
        try reader.finish()
        if reader.uncompressedByteCount != observed {
            fail("uncompressedByteCount \(reader.uncompressedByteCount) but \(observed) bytes observed")
        }
    } catch {
        // A clear error is the expected answer to a malformed stream.
    }
    return 0
}

func fail(_ message: String) -> Never {
    // Straight to fd 2, so the message is in the log before libFuzzer saves the input.
    let line = Array("fuzz-tar: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
