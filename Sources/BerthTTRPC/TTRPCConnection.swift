import BerthErrors
import BerthSystem

/// One ttrpc connection on a non-blocking socket, driven by an ``EventLoop``.
///
/// Bytes read are split into frames by a ``TTRPCFrameDecoder``; frames to
/// send are written at once and, when the socket is full, kept in order
/// until it drains. Used by ``TTRPCServer`` and ``TTRPCClient``.
public final class TTRPCConnection {
    /// The socket.
    public let descriptor: Int32
    private unowned let loop: EventLoop
    private var decoder: TTRPCFrameDecoder
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    /// Whether the connection has been closed (by either side).
    public private(set) var isClosed = false

    /// Called for each frame received.
    public var onFrame: (TTRPCFrame) -> Void = { _ in }
    /// Called when the decoder rejects a frame; the connection stays usable.
    public var onDecodeError: (TTRPCError) -> Void = { _ in }
    /// Called once when the connection closes.
    public var onClose: () -> Void = {}

    /// Wraps `descriptor` (made non-blocking here); owns it from now on.
    public init(descriptor: Int32, loop: EventLoop, role: TTRPCFrameDecoder.Role) {
        self.descriptor = descriptor
        self.loop = loop
        self.decoder = TTRPCFrameDecoder(role: role)
    }

    /// Starts reading.
    public func start() throws(SystemError) {
        try Descriptor.setNonBlocking(descriptor)
        try loop.register(descriptor, for: .readable) { [weak self] events in
            self?.handle(events)
        }
    }

    /// Bytes accepted by ``send(_:)`` and not yet written.
    public var pendingOutputCount: Int { outbound.count - outboundOffset }

    /// Queues `frame` for writing; frames go out in the order sent.
    public func send(_ frame: TTRPCFrame) throws(TTRPCError) {
        guard !isClosed else { throw TTRPCError(code: .unavailable, message: "ttrpc: closed") }
        try frame.encode(into: &outbound)
        flush()
    }

    /// Closes the socket; pending output is dropped.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.unregister(descriptor)
        Descriptor.close(descriptor)
        outbound = []
        outboundOffset = 0
        let callback = onClose
        onClose = {}
        onFrame = { _ in }
        callback()
    }

    private func handle(_ events: EventLoop.Events) {
        if events.contains(.writable) {
            flush()
        }
        if !isClosed, !events.isDisjoint(with: [.readable, .hangup, .error]) {
            readAvailable()
        }
    }

    private func readAvailable() {
        // At most 1 MiB per turn, so one busy peer cannot starve the others.
        var budget = 1 << 20
        var reachedEnd = false
        withUnsafeTemporaryAllocation(byteCount: 32 << 10, alignment: 8) { buffer in
            while budget > 0 {
                let outcome = (try? Descriptor.read(descriptor, into: buffer)) ?? .endOfFile
                switch outcome {
                case .transferred(let n):
                    budget -= n
                    decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                case .wouldBlock:
                    return
                case .endOfFile:
                    reachedEnd = true
                    return
                }
            }
        }
        while !isClosed {
            do {
                guard let frame = try decoder.nextFrame() else { break }
                onFrame(frame)
            } catch {
                onDecodeError(error)
            }
        }
        if reachedEnd { close() }
    }

    private func flush() {
        while outboundOffset < outbound.count {
            let outcome = outbound.withUnsafeBytes { raw in
                (try? Descriptor.write(descriptor, UnsafeRawBufferPointer(rebasing: raw[outboundOffset...])))
                    ?? .endOfFile
            }
            switch outcome {
            case .transferred(let n):
                outboundOffset += n
            case .wouldBlock:
                loop.setInterest(descriptor, [.readable, .writable])
                return
            case .endOfFile:
                close()
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 64 << 10)
        outboundOffset = 0
        loop.setInterest(descriptor, .readable)
    }
}
