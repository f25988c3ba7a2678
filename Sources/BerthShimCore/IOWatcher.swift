import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Lets two parties watch one descriptor, one for reading and one for
/// writing (a pty master is both the source of output and the sink of
/// input), on top of the ``EventLoop``'s one registration per descriptor.
///
/// A descriptor with no interest is removed from the loop, so a hung-up
/// descriptor nobody wants to read does not wake the loop forever.
final class IOWatcher {
    enum Direction { case read, write }

    private struct Entry {
        var reader: (() -> Void)?
        var writer: (() -> Void)?
        var wantsRead = false
        var wantsWrite = false
    }

    /// The loop, for timers of the watched parties.
    unowned let loop: EventLoop
    private var entries: [Int32: Entry] = [:]

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Sets the handler for `direction` on `fd` (interest stays as it was).
    func setHandler(_ fd: Int32, _ direction: Direction, _ handler: @escaping () -> Void) {
        var entry = entries[fd] ?? Entry()
        switch direction {
        case .read: entry.reader = handler
        case .write: entry.writer = handler
        }
        entries[fd] = entry
    }

    /// Turns interest in `direction` on `fd` on or off.
    func want(_ fd: Int32, _ direction: Direction, _ on: Bool) {
        guard var entry = entries[fd] else { return }
        let before = (entry.wantsRead, entry.wantsWrite)
        switch direction {
        case .read: entry.wantsRead = on
        case .write: entry.wantsWrite = on
        }
        entries[fd] = entry
        guard before != (entry.wantsRead, entry.wantsWrite) else { return }
        update(fd, entry)
    }

    /// Forgets `direction` on `fd`; the descriptor leaves the loop when
    /// nothing is left. Call before closing it.
    func remove(_ fd: Int32, _ direction: Direction) {
        guard var entry = entries[fd] else { return }
        switch direction {
        case .read:
            entry.reader = nil
            entry.wantsRead = false
        case .write:
            entry.writer = nil
            entry.wantsWrite = false
        }
        if entry.reader == nil, entry.writer == nil {
            entries.removeValue(forKey: fd)
            loop.unregister(fd)
        } else {
            entries[fd] = entry
            update(fd, entry)
        }
    }

    private func update(_ fd: Int32, _ entry: Entry) {
        var events: EventLoop.Events = []
        if entry.wantsRead { events.insert(.readable) }
        if entry.wantsWrite { events.insert(.writable) }
        if events.isEmpty {
            loop.unregister(fd)
        } else if loop.interest(fd) == nil {
            try? loop.register(fd, for: events) { [unowned self] ready in
                self.dispatch(fd, ready)
            }
        } else {
            loop.setInterest(fd, events)
        }
    }

    private func dispatch(_ fd: Int32, _ ready: EventLoop.Events) {
        let failed = !ready.isDisjoint(with: [.hangup, .error])
        if let entry = entries[fd], entry.wantsWrite, failed || ready.contains(.writable) {
            entry.writer?()
        }
        if let entry = entries[fd], entry.wantsRead, failed || ready.contains(.readable) {
            entry.reader?()
        }
    }
}
