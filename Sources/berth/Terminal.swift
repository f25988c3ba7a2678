import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// The local terminal for `-t`: raw mode while attached, and its size.
final class LocalTerminal: @unchecked Sendable {
    private var saved = termios()
    private var isRaw = false

    /// Whether stdin is a terminal.
    static var isTerminal: Bool { isatty(0) == 1 }

    /// Puts stdin in raw mode (no echo, no line editing, no signals), if it is a terminal.
    func makeRaw() {
        guard Self.isTerminal, tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        cfmakeraw(&raw)
        if tcsetattr(0, TCSANOW, &raw) == 0 { isRaw = true }
    }

    /// Restores the mode `makeRaw()` changed.
    func restore() {
        guard isRaw else { return }
        var original = saved
        tcsetattr(0, TCSANOW, &original)
        isRaw = false
    }

    /// The terminal's columns and rows, or nil when stdout is not a terminal.
    static func size() -> (width: UInt16, height: UInt16)? {
        var size = winsize()
        for fd: Int32 in [1, 0] where ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 {
            return (size.ws_col, size.ws_row)
        }
        return nil
    }
}
