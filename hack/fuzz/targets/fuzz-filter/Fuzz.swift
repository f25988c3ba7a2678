import BerthMetadata

#if canImport(Glibc)
    import Glibc
#endif

/// Parses the input as containerd filters (one string per line, ORed, as
/// a List request's repeated `filters` field), then evaluates the filter
/// against an object with a few fields and labels.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let strings = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)
    guard let filter = try? Filter(parsing: strings) else { return 0 }
    let labels = ["a.b": "c", "containerd.io/gc.ref.content": "sha256:00", "": "empty"]
    let fields = ["name": "docker.io/library/busybox:latest", "target.digest": "sha256:abc", "id": "x/y"]
    _ = filter.matches { path in
        if path.first == "labels" { return Filter.lookup(path.dropFirst(), in: labels) }
        return fields[path.joined(separator: ".")]
    }
    return 0
}
