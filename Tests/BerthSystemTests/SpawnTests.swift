import BerthSystem
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SpawnTests {
    @Test func exitCodeIsReported() throws {
        let child = try Spawn.launch(path: "/bin/sh", arguments: ["sh", "-c", "exit 7"], environment: [])
        if child.pidfd >= 0 { close(child.pidfd) }
        #expect(try Spawn.wait(pid: child.pid) == .exited(7))
    }

    @Test func killedProcessReportsSignal() throws {
        let child = try Spawn.launch(path: "/bin/sh", arguments: ["sh", "-c", "kill -9 $$"], environment: [])
        if child.pidfd >= 0 { close(child.pidfd) }
        let status = try Spawn.wait(pid: child.pid)
        #expect(status == .signaled(9))
        #expect(status.exitCode == 137)
    }

    @Test func execFailureCarriesErrno() {
        #expect(throws: SystemError(call: "execve(/nonexistent/binary)", errno: ENOENT)) {
            _ = try Spawn.launch(path: "/nonexistent/binary", arguments: ["x"], environment: [])
        }
    }

    @Test func stdioIsWiredAndOtherDescriptorsAreClosed() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        var options = Spawn.Options()
        options.stdio = (-1, fds[1], -1)
        // Counts the descriptors the child has open; only 0, 1, 2 (and the
        // directory fd ls uses) may be there.
        let child = try Spawn.launch(
            path: "/bin/sh", arguments: ["sh", "-c", "echo hello; ls /proc/self/fd | wc -l"],
            environment: [], options: options)
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        if child.pidfd >= 0 { close(child.pidfd) }
        #expect(try Spawn.wait(pid: child.pid) == .exited(0))
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "hello")
        #expect(lines.last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 99 <= 5)
    }

    @Test func subreaperCanBeSetAndRead() throws {
        let before = try ProcessControl.isChildSubreaper()
        try ProcessControl.setChildSubreaper(true)
        #expect(try ProcessControl.isChildSubreaper())
        try ProcessControl.setChildSubreaper(before)
    }
}
