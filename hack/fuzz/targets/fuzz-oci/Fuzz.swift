import BerthOCI
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes the input as an image manifest, an index and an image config,
/// as berthd and the registry client do with JSON from a registry or a
/// client. Whatever decodes must encode, and decode again to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Data(UnsafeBufferPointer(start: $0, count: size)) } ?? Data()
    roundTrip(Manifest.self, bytes)
    roundTrip(Index.self, bytes)
    roundTrip(ImageConfig.self, bytes)
    roundTrip(Descriptor.self, bytes)
    if let text = String(validating: bytes, as: UTF8.self) {
        _ = try? Digest(parsing: text)
        _ = try? Platform(parsing: text)
    }
    return 0
}

func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ bytes: Data) {
    guard let value = try? JSONDecoder().decode(T.self, from: bytes) else { return }
    let encoded: Data
    do {
        encoded = try JSONEncoder().encode(value)
    } catch {
        fail("\(T.self) decoded but does not encode: \(error)")
    }
    do {
        let again = try JSONDecoder().decode(T.self, from: encoded)
        if again != value {
            fail("\(T.self) changed in an encode/decode round trip")
        }
    } catch {
        fail("\(T.self) does not decode its own encoding: \(error)")
    }
}

func fail(_ message: String) -> Never {
    // Straight to fd 2, so the message is in the log before libFuzzer saves the input.
    let line = Array("fuzz-oci: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
