import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Watches a container's memory cgroup for OOM kills and calls back on each.
///
/// - cgroup v1: an eventfd registered through `cgroup.event_control` for
///   `memory.oom_control`; the kernel signals it on OOM (and when the cgroup
///   is removed, which is told apart by the directory being gone).
/// - cgroup v2: inotify on `memory.events`; an increase of `oom_kill` is an OOM.
final class OOMWatch {
    private unowned let loop: EventLoop
    private let descriptor: Int32
    private let directory: String
    private let version: CgroupLocation.Version
    private var lastKills: UInt64
    private let onOOM: () -> Void
    private var stopped = false

    private init(
        loop: EventLoop, descriptor: Int32, directory: String, version: CgroupLocation.Version,
        onOOM: @escaping () -> Void
    ) {
        self.loop = loop
        self.descriptor = descriptor
        self.directory = directory
        self.version = version
        self.onOOM = onOOM
        self.lastKills = CgroupStats.keyed(directory, "memory.events")["oom_kill"] ?? 0
    }

    /// Starts watching; nil when the cgroup has no memory controller.
    static func start(
        _ location: CgroupLocation, loop: EventLoop, logger: Logger, onOOM: @escaping () -> Void
    ) -> OOMWatch? {
        guard let directory = location.directory("memory") else { return nil }
        let descriptor: Int32
        do {
            switch location.version {
            case .v1:
                descriptor = try Notifier.eventDescriptor()
                let control = try Descriptor.open(FileSystem.join(directory, "memory.oom_control"), O_RDONLY)
                defer { Descriptor.close(control) }
                do {
                    try FileSystem.write(
                        FileSystem.join(directory, "cgroup.event_control"), Array("\(descriptor) \(control)".utf8))
                } catch {
                    Descriptor.close(descriptor)
                    throw error
                }
            case .v2:
                descriptor = try Notifier.watchModifications(of: FileSystem.join(directory, "memory.events"))
            }
        } catch {
            logger.warning("cannot watch for OOM", metadata: ["cgroup": "\(directory)", "error": "\(error)"])
            return nil
        }
        let watch = OOMWatch(
            loop: loop, descriptor: descriptor, directory: directory, version: location.version, onOOM: onOOM)
        do {
            try loop.register(descriptor, for: .readable) { [weak watch] _ in watch?.fired() }
        } catch {
            Descriptor.close(descriptor)
            return nil
        }
        return watch
    }

    private func fired() {
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer in
            while case .transferred = (try? Descriptor.read(descriptor, into: buffer)) ?? .endOfFile {}
        }
        switch version {
        case .v1:
            guard FileSystem.kind(directory) == .directory else {
                stop()
                return
            }
            onOOM()
        case .v2:
            let kills = CgroupStats.keyed(directory, "memory.events")["oom_kill"] ?? 0
            if kills > lastKills {
                lastKills = kills
                onOOM()
            }
        }
    }

    /// Stops watching.
    func stop() {
        guard !stopped else { return }
        stopped = true
        loop.unregister(descriptor)
        Descriptor.close(descriptor)
    }
}
