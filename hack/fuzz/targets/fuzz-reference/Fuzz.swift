import BerthOCI
import BerthErrors

#if canImport(Glibc)
    import Glibc
#endif

/// Parses the input as an image reference. A reference that parses must
/// print a normalised form that parses back to itself, and its familiar
/// form must parse back to the same reference.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let input = String(decoding: bytes, as: UTF8.self)
    guard let reference = try? ImageReference(parsing: input) else { return 0 }
    for form in [reference.description, reference.familiarDescription] {
        do {
            let again = try ImageReference(parsing: form)
            if again != reference {
                fail("\(input.debugDescription) parsed as \(reference), but \(form.debugDescription) as \(again)")
            }
        } catch {
            fail("\(input.debugDescription) parsed, but its form \(form.debugDescription) does not: \(error)")
        }
    }
    _ = reference.manifestReference
    return 0
}

func fail(_ message: String) -> Never {
    // Straight to fd 2, so the message is in the log before libFuzzer saves the input.
    let line = Array("fuzz-reference: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
