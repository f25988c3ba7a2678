import BerthErrors
import BerthTTRPC
import Testing

/// The streaming decoder: chunking, limits and stream-id rules.
struct TTRPCFrameDecoderTests {
    static func frame(_ streamID: UInt32, _ type: TTRPCFrame.MessageType = .request, size: Int = 5) -> TTRPCFrame {
        TTRPCFrame(
            streamID: streamID, type: type, payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ Int(streamID)) })
    }

    static func drain(_ decoder: inout TTRPCFrameDecoder) throws -> [TTRPCFrame] {
        var frames: [TTRPCFrame] = []
        while let frame = try decoder.nextFrame() { frames.append(frame) }
        return frames
    }

    static let sample = [frame(1), frame(3, size: 0), frame(5, size: 300), frame(7, .response, size: 70_000)]

    static func sampleBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in sample { try frame.encode(into: &bytes) }
        return bytes
    }

    @Test func manyFramesInOneChunk() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        decoder.append(try Self.sampleBytes())
        #expect(try Self.drain(&decoder) == Self.sample)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func oneByteAtATime() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        var frames: [TTRPCFrame] = []
        for byte in try Self.sampleBytes() {
            decoder.append([byte])
            frames += try Self.drain(&decoder)
        }
        #expect(frames == Self.sample)
    }

    @Test(arguments: [2, 7, 10, 11, 333, 4096, 65_537])
    func arbitraryChunks(_ size: Int) throws {
        let bytes = try Self.sampleBytes()
        var decoder = TTRPCFrameDecoder(role: .server)
        var frames: [TTRPCFrame] = []
        var start = 0
        var step = size
        while start < bytes.count {
            let end = min(bytes.count, start + step)
            decoder.append(bytes[start..<end])
            frames += try Self.drain(&decoder)
            start = end
            step = step % 3 == 0 ? size / 2 + 1 : size  // vary the cut points
        }
        #expect(frames == Self.sample)
    }

    @Test func acceptsExactlyTheMaximum() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        let big = Self.frame(1, size: TTRPCFrame.maxPayloadLength)
        decoder.append(try big.encoded())
        #expect(try decoder.nextFrame() == big)
    }

    /// An oversized frame is reported for its stream, its payload is
    /// dropped as it arrives, and the next frame decodes.
    @Test func oversizedFrameIsDiscardedAndDecodingResumes() throws {
        let length = TTRPCFrame.maxPayloadLength + 1
        var decoder = TTRPCFrameDecoder(role: .server)
        decoder.append(TTRPCFrame.Header(length: UInt32(length), streamID: 5, type: .request).bytes + [1, 2, 3])
        do {
            _ = try decoder.nextFrame()
            Issue.record("accepted an oversized frame")
        } catch {
            #expect(error.code == .resourceExhausted)
            #expect(error.streamID == 5)
            #expect(error.message == "message length 4194305 exceed maximum message size of 4194304")
        }
        #expect(decoder.pendingDiscardCount == length - 3)
        var remaining = length - 3
        while remaining > 0 {
            let chunk = min(remaining, 1 << 20)
            decoder.append([UInt8](repeating: 0xee, count: chunk))
            remaining -= chunk
            #expect(decoder.bufferedByteCount == 0)
            #expect(try decoder.nextFrame() == nil)
        }
        #expect(decoder.pendingDiscardCount == 0)
        decoder.append(try Self.frame(7).encoded())
        #expect(try decoder.nextFrame() == Self.frame(7))
    }

    @Test func oversizedFrameFollowedInTheSameChunk() throws {
        var decoder = TTRPCFrameDecoder(role: .client, maxPayloadLength: 8)
        var bytes = TTRPCFrame.Header(length: 9, streamID: 3, type: .response).bytes + [UInt8](repeating: 1, count: 9)
        try Self.frame(5, .response, size: 8).encode(into: &bytes)
        decoder.append(bytes)
        #expect(throws: TTRPCError.self) { try decoder.nextFrame() }
        #expect(try decoder.nextFrame() == Self.frame(5, .response, size: 8))
    }

    @Test func serverRejectsEvenStreamIDs() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        decoder.append(try Self.frame(2).encoded() + Self.frame(0).encoded() + Self.frame(3).encoded())
        for even: UInt32 in [2, 0] {
            do {
                _ = try decoder.nextFrame()
                Issue.record("accepted stream \(even)")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.streamID == even)
                #expect(error.message == "StreamID must be odd for client initiated streams")
            }
        }
        #expect(try decoder.nextFrame() == Self.frame(3))
    }

    @Test func clientAcceptsAnyStreamID() throws {
        var decoder = TTRPCFrameDecoder(role: .client)
        decoder.append(try Self.frame(2, .response).encoded())
        #expect(try decoder.nextFrame()?.streamID == 2)
    }

    /// Unknown message types pass through; a server ignores them, as ttrpc does.
    @Test func unknownMessageTypesPassThrough() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        let odd = TTRPCFrame(streamID: 4, type: TTRPCFrame.MessageType(rawValue: 9), payload: [1])
        decoder.append(try odd.encoded())
        let frame = try #require(try decoder.nextFrame())
        #expect(frame.type.rawValue == 9)
        #expect(frame.type.description == "type 9")
    }

    @Test func incompleteFrameWaits() throws {
        var decoder = TTRPCFrameDecoder(role: .server)
        let bytes = try Self.frame(1, size: 100).encoded()
        decoder.append(bytes.prefix(50))
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 50)
        decoder.append(bytes.dropFirst(50))
        #expect(try decoder.nextFrame() == Self.frame(1, size: 100))
    }
}

extension TTRPCFrame.Header {
    var bytes: [UInt8] {
        var encoded: [UInt8] = []
        try? TTRPCFrame(streamID: streamID, type: type, flags: flags, payload: []).encode(into: &encoded)
        encoded[0] = UInt8(truncatingIfNeeded: length >> 24)
        encoded[1] = UInt8(truncatingIfNeeded: length >> 16)
        encoded[2] = UInt8(truncatingIfNeeded: length >> 8)
        encoded[3] = UInt8(truncatingIfNeeded: length)
        return encoded
    }
}
