import BerthAPI
import BerthShimProto
import Dispatch
import Foundation
import SwiftProtobuf

/// A client attached to a container's init process (`run`, `start -a`):
/// its log files copied to the terminal, stdin copied into its FIFO, the
/// local terminal in raw mode and its size forwarded, signals forwarded.
struct Attachment {
    var api: ContainerAPI
    var id: String
    var logs: LogFiles
    var stdinFIFO: String?
    var terminal: Bool

    /// Starts the process (when `start`), follows it until it exits, and
    /// returns its exit status. Output already in the logs before the
    /// attachment is skipped.
    func run(start: Bool) async throws -> UInt32 {
        let follower = LogFollower(
            [(logs.stdout, 1), (logs.stderr, 2)], offsets: LogFollower.sizes([logs.stdout, logs.stderr]))
        let api = self.api
        let id = self.id
        var forwarder: StdinForwarder?
        if let stdinFIFO {
            forwarder = try StdinForwarder(fifo: stdinFIFO)
        }
        let local = LocalTerminal()
        if terminal { local.makeRaw() }
        defer { local.restore() }

        let waiting = Task { try await api.wait(id) }
        if start {
            do {
                try await api.startMapped(id)
            } catch {
                waiting.cancel()
                throw error
            }
        }
        forwarder?.start {
            let done = DispatchSemaphore(value: 0)
            Task {
                try? await api.closeStdin(id)
                done.signal()
            }
            done.wait()
        }
        var sources: [any DispatchSourceSignal] = []
        if terminal {
            if let size = LocalTerminal.size() {
                try? await api.resize(id, width: size.width, height: size.height)
            }
            sources.append(
                Self.onSignal(SIGWINCH) {
                    guard let size = LocalTerminal.size() else { return }
                    Task { try? await api.resize(id, width: size.width, height: size.height) }
                })
        } else {
            for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] {
                sources.append(Self.onSignal(signal) { Task { try? await api.kill(id, signal: signal) } })
            }
        }
        defer { sources.forEach { $0.cancel() } }

        let following = Task { await follower.follow() }
        let status: UInt32
        do {
            status = try await waiting.value
        } catch {
            following.cancel()
            await following.value
            throw error
        }
        following.cancel()
        await following.value
        return status
    }

    /// Handles `signal` with `handler` (on a global queue) instead of its default action.
    static func onSignal(_ number: Int32, _ handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
