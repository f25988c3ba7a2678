import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Copies one stream from a source descriptor to a sink: a container pipe
/// or pty to a FIFO or file, or a stdin FIFO to the container.
///
/// Policy for slow or vanished readers (docs/shim-protocol.md §7): at most
/// ``capacity`` bytes wait in the shim. While they wait, the source is not
/// read, so the writer feels back-pressure, as with a plain pipe. If the
/// sink accepts nothing for ``stallMilliseconds`` while the buffer is full,
/// the relay drops what it holds and keeps reading and dropping (logging
/// once, with the count, when it starts and when it stops) until the sink
/// accepts a write again. A reader that went away therefore never blocks
/// the container forever, and one that only paused loses nothing.
final class Relay {
    /// Bytes held before the source stops being read.
    static let capacity = 128 << 10
    /// How long a full buffer may wait for the sink before data is dropped.
    static let defaultStallMilliseconds: Int64 = 10_000
    /// This relay's stall limit (``defaultStallMilliseconds`` unless a test sets it).
    var stallMilliseconds = Relay.defaultStallMilliseconds

    let name: String
    let source: Int32
    let sink: Int32
    private let sinkIsPollable: Bool
    private let closesSink: Bool
    private let closesSource: Bool
    private unowned let watcher: IOWatcher
    private let logger: Logger
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    private(set) var sourceFinished = false
    private(set) var isFinished = false
    private var discarding = false
    private var droppedBytes = 0
    private var lastProgress = MonotonicClock.milliseconds()
    /// When bytes last moved in either direction (for drain timeouts).
    private(set) var lastActivity = MonotonicClock.milliseconds()
    private var stallTimer: EventLoop.TimerID?
    /// Called once when the source ended and everything was written or dropped.
    var onFinished: () -> Void = {}
    /// Times the writes to a log file sink.
    var index: LogIndex?

    /// A relay from `source` to `sink`. `closesSource` and `closesSink` say
    /// whether it closes them when done (a pty master, which is both the
    /// source of one relay and the sink of another, is closed by its owner).
    init(
        name: String, source: Int32, sink: Int32, sinkIsPollable: Bool, closesSource: Bool = true,
        closesSink: Bool = true, watcher: IOWatcher, logger: Logger
    ) {
        self.name = name
        self.source = source
        self.sink = sink
        self.sinkIsPollable = sinkIsPollable
        self.closesSink = closesSink
        self.closesSource = closesSource
        self.watcher = watcher
        self.logger = logger
    }

    private var pending: Int { buffer.count - bufferOffset }

    /// Starts copying.
    func start() {
        try? Descriptor.setNonBlocking(source)
        if sinkIsPollable { try? Descriptor.setNonBlocking(sink) }
        watcher.setHandler(source, .read) { [unowned self] in self.readSource() }
        if sinkIsPollable {
            watcher.setHandler(sink, .write) { [unowned self] in self.flush() }
        }
        updateInterest()
    }

    /// Treats the source as ended after reading what is available now
    /// (CloseIO on stdin).
    func finishSource() {
        guard !sourceFinished, !isFinished else { return }
        readSource()
        sourceFinished = true
        updateInterest()
        finishIfDone()
    }

    /// Ends the relay now: pending bytes are dropped, descriptors closed.
    func abandon() {
        guard !isFinished else { return }
        sourceFinished = true
        if pending > 0 {
            logger.warning("dropping unwritten output", metadata: ["stream": "\(name)", "bytes": "\(pending)"])
        }
        buffer = []
        bufferOffset = 0
        finishIfDone()
    }

    /// Applies the stall policy: armed while the buffer is full, so an idle
    /// shim never wakes up for it.
    private func armStallTimer() {
        guard stallTimer == nil, !isFinished, !discarding, pending >= Self.capacity else { return }
        let due = max(0, lastProgress + stallMilliseconds - MonotonicClock.milliseconds())
        stallTimer = watcher.loop.schedule(afterMilliseconds: due) { [weak self] in
            guard let self else { return }
            self.stallTimer = nil
            self.checkStall(now: MonotonicClock.milliseconds())
            self.armStallTimer()
        }
    }

    /// Drops the buffer if the sink has taken nothing for ``stallMilliseconds``
    /// while it was full.
    func checkStall(now: Int64) {
        guard !isFinished, !discarding, pending >= Self.capacity, now - lastProgress >= stallMilliseconds else {
            return
        }
        discarding = true
        droppedBytes = pending
        buffer = []
        bufferOffset = 0
        logger.warning(
            "output reader stalled; dropping output until it reads again",
            metadata: ["stream": "\(name)", "stall.ms": "\(stallMilliseconds)"])
        updateInterest()
    }

    private func readSource() {
        guard !sourceFinished else { return }
        var budget = 1 << 20
        withUnsafeTemporaryAllocation(byteCount: 32 << 10, alignment: 8) { chunk in
            while budget > 0, discarding || pending < Self.capacity {
                let outcome = (try? Descriptor.read(source, into: chunk)) ?? .endOfFile
                switch outcome {
                case .transferred(let n):
                    budget -= n
                    lastActivity = MonotonicClock.milliseconds()
                    accept(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                case .wouldBlock:
                    return
                case .endOfFile:
                    sourceFinished = true
                    return
                }
            }
        }
        updateInterest()
        finishIfDone()
    }

    /// Takes bytes read from the source: written straight through when
    /// nothing waits, buffered otherwise, dropped while discarding.
    private func accept(_ bytes: UnsafeRawBufferPointer) {
        var remaining = bytes
        if pending == 0 {
            let written = writeSink(bytes)
            remaining = UnsafeRawBufferPointer(rebasing: bytes[written...])
            if discarding {
                if written > 0 {
                    discarding = false
                    logger.info(
                        "output reader is back", metadata: ["stream": "\(name)", "dropped.bytes": "\(droppedBytes)"])
                    droppedBytes = 0
                } else {
                    droppedBytes += bytes.count
                    return
                }
            }
        }
        guard !remaining.isEmpty else { return }
        if discarding {
            droppedBytes += remaining.count
            return
        }
        buffer.append(contentsOf: remaining)
    }

    /// Writes what it can of `bytes` to the sink; returns the count.
    private func writeSink(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let outcome: IOResult
            do {
                outcome = try Descriptor.write(sink, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch {
                outcome = .endOfFile
            }
            switch outcome {
            case .transferred(let n):
                offset += n
                index?.recordWrite(sink: sink, written: n)
                lastProgress = MonotonicClock.milliseconds()
                lastActivity = lastProgress
            case .wouldBlock:
                return offset
            case .endOfFile:
                // The sink is gone for good: drop from now on.
                if !discarding {
                    discarding = true
                    logger.warning("output sink closed; dropping output", metadata: ["stream": "\(name)"])
                }
                return bytes.count
            }
        }
        return offset
    }

    private func flush() {
        while pending > 0 {
            let written = buffer.withUnsafeBytes { raw in
                writeSink(UnsafeRawBufferPointer(rebasing: raw[bufferOffset...]))
            }
            if written == 0 { break }
            bufferOffset += written
        }
        if pending == 0 {
            buffer = []
            bufferOffset = 0
        } else if bufferOffset >= 32 << 10 {
            buffer.removeSubrange(0..<bufferOffset)
            bufferOffset = 0
        }
        updateInterest()
        finishIfDone()
    }

    private func updateInterest() {
        guard !isFinished else { return }
        armStallTimer()
        watcher.want(source, .read, !sourceFinished && (discarding || pending < Self.capacity))
        if sinkIsPollable {
            watcher.want(sink, .write, pending > 0)
        } else if pending > 0 {
            flush()
        }
    }

    private func finishIfDone() {
        guard !isFinished, sourceFinished, pending == 0 else { return }
        isFinished = true
        if let stallTimer {
            watcher.loop.cancel(stallTimer)
            self.stallTimer = nil
        }
        watcher.remove(source, .read)
        if closesSource { Descriptor.close(source) }
        if sinkIsPollable { watcher.remove(sink, .write) }
        if closesSink { Descriptor.close(sink) }
        if droppedBytes > 0 {
            logger.warning("output dropped", metadata: ["stream": "\(name)", "dropped.bytes": "\(droppedBytes)"])
        }
        let callback = onFinished
        onFinished = {}
        callback()
    }
}
