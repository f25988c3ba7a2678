import BerthTTRPC

#if canImport(Glibc)
    import Glibc
#endif

/// Feeds the input to a ttrpc frame decoder as both a server and a client
/// would receive it, in chunks whose sizes come from the first input byte,
/// then decodes each frame's payload as a request or a response. Every
/// frame returned must encode again, to its header plus its payload, and
/// the frames and the buffer together never hold more bytes than were given.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let first = bytes.first else { return 0 }
    let stream = Array(bytes.dropFirst())
    let chunk = Int(first % 32) + 1
    for role in [TTRPCFrameDecoder.Role.server, .client] {
        // A small cap, so the oversized-payload path is reachable too.
        var decoder = TTRPCFrameDecoder(role: role, maxPayloadLength: 1024)
        var offset = 0
        var accounted = 0
        while offset < stream.count {
            let end = min(offset + chunk, stream.count)
            decoder.append(stream[offset..<end])
            offset = end
            var steps = 0
            while true {
                steps += 1
                if steps > stream.count + 2 { fail("decoder does not make progress") }
                do {
                    guard let frame = try decoder.nextFrame() else { break }
                    accounted += TTRPCFrame.headerLength + frame.payload.count
                    check(frame)
                } catch {
                    // Oversized and even-stream requests are consumed and reported.
                }
            }
        }
        if decoder.bufferedByteCount < 0 || decoder.bufferedByteCount > stream.count {
            fail("bufferedByteCount \(decoder.bufferedByteCount) for \(stream.count) bytes")
        }
        if accounted + decoder.bufferedByteCount > stream.count {
            fail("frames and buffer hold more bytes than were given")
        }
    }
    return 0
}

func check(_ frame: TTRPCFrame) {
    do {
        let encoded = try frame.encoded()
        if encoded.count != TTRPCFrame.headerLength + frame.payload.count {
            fail("frame of \(frame.payload.count) bytes encodes to \(encoded.count)")
        }
    } catch {
        fail("a decoded frame does not encode: \(error)")
    }
    if frame.type == .request {
        _ = try? frame.decodeRequest()
    } else if frame.type == .response {
        _ = try? frame.decodeResponse()
    }
}

func fail(_ message: String) -> Never {
    // Straight to fd 2, so the message is in the log before libFuzzer saves the input.
    let line = Array("fuzz-ttrpc: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}
