import ArgumentParser
import BerthAPI
import BerthBundle
import BerthOCI
import BerthShimProto
import Foundation
import SwiftProtobuf

/// The FIFOs of one exec, in a directory of their own, opened read-write
/// and non-blocking on this side so neither opening nor reading blocks.
/// The shim announces an exit only after the output is drained into them.
final class ExecFIFOs: @unchecked Sendable {
    let directory: String
    let stdinPath: String?
    let stdoutPath: String?
    let stderrPath: String?
    private var readers: [(fd: Int32, output: Int32)] = []

    init(execID: String, stdin: Bool, stderr: Bool, output: Bool) throws {
        var template = [CChar]((FileManager.default.temporaryDirectory.path + "/berth-exec-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) != nil else {
            throw CLIError.local("mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        stdinPath = stdin ? directory + "/\(execID)-stdin" : nil
        stdoutPath = output ? directory + "/\(execID)-stdout" : nil
        stderrPath = output && stderr ? directory + "/\(execID)-stderr" : nil
        for path in [stdinPath, stdoutPath, stderrPath].compactMap({ $0 }) {
            guard mkfifo(path, 0o600) == 0 else {
                throw CLIError.local("mkfifo \(path): \(String(cString: strerror(errno)))")
            }
        }
        for (path, output) in [(stdoutPath, Int32(1)), (stderrPath, Int32(2))] {
            guard let path else { continue }
            let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw CLIError.local("open \(path): \(String(cString: strerror(errno)))") }
            readers.append((fd, output))
        }
    }

    /// Copies what is in the FIFOs; whether anything was copied.
    @discardableResult
    func drain() -> Bool {
        var moved = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        for reader in readers {
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reader.fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                LogFollower.writeAll(reader.output, buffer[0..<count])
                moved = true
            }
        }
        return moved
    }

    /// Copies until cancelled, then drains once more.
    func copy() async {
        while !Task.isCancelled {
            if !drain() { try? await Task.sleep(for: .milliseconds(10)) }
        }
        drain()
    }

    func remove() {
        for reader in readers { close(reader.fd) }
        readers = []
        try? FileManager.default.removeItem(atPath: directory)
    }
}
