import BerthAPI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// Copies this process's stdin into a process's stdin FIFO on a thread of
/// its own (reading a terminal blocks), and closes the process's stdin
/// through the API at end of file.
final class StdinForwarder: @unchecked Sendable {
    private let fifo: Int32

    /// Opens the FIFO (read-write, so opening never blocks and the shim's
    /// reader sees end of file only when this side closes).
    init(fifo path: String) throws {
        fifo = open(path, O_RDWR | O_CLOEXEC)
        guard fifo >= 0 else {
            throw CLIError.local("open \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Starts copying; `onEnd` runs (on the thread) once stdin reached end of file.
    func start(onEnd: @escaping @Sendable () -> Void) {
        let fifo = self.fifo
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                LogFollower.writeAll(fifo, buffer[0..<count])
            }
            close(fifo)
            onEnd()
        }
        thread.start()
    }
}
