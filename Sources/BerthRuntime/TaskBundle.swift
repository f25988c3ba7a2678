import BerthOCI
import BerthSystem
import Foundation

/// Where the runtime keeps its per-task files, laid out as containerd's
/// runtime v2 does: bundles under the state directory, persistent work
/// directories under the root.
public struct RuntimeLayout: Sendable, Equatable {
    /// The plugin directory name containerd uses for runtime v2 tasks.
    public static let pluginDirectory = "io.containerd.runtime.v2.task"

    /// `<state>/io.containerd.runtime.v2.task`: bundles.
    public let bundles: String
    /// `<root>/io.containerd.runtime.v2.task`: work directories.
    public let work: String

    /// The layout under the daemon's `root` and `state`.
    public init(root: String, state: String) {
        bundles = state + "/" + Self.pluginDirectory
        work = root + "/" + Self.pluginDirectory
    }

    /// The bundle path of task `id` in `namespace`.
    public func bundle(namespace: String, id: String) -> String { bundles + "/" + namespace + "/" + id }
}

/// One task's bundle directory (`<state>/io.containerd.runtime.v2.task/<ns>/<id>`):
/// `config.json`, `rootfs/`, the `work` link, the `log` FIFO, and what the
/// shim writes (`address`, pid files, `exit.json`, the event journal).
///
/// Two intent markers make Create and Delete crash-safe: `.creating` exists
/// from the bundle's birth until the shim has created the task, `.deleting`
/// from the start of a delete to the bundle's removal. A daemon that finds
/// either at start-up finishes the job (both end in removing the task).
public struct TaskBundle: Sendable, Equatable {
    /// The task's namespace.
    public let namespace: String
    /// The task (container) id.
    public let id: String
    /// The bundle directory.
    public let path: String
    /// The persistent work directory the `work` link points to.
    public let workPath: String

    /// The bundle of `id` in `namespace` under `layout`; nothing is created.
    public init(layout: RuntimeLayout, namespace: String, id: String) {
        self.namespace = namespace
        self.id = id
        path = layout.bundle(namespace: namespace, id: id)
        workPath = layout.work + "/" + namespace + "/" + id
    }

    /// The intent markers.
    public enum Intent: String, Sendable, CaseIterable {
        case creating = ".creating"
        case deleting = ".deleting"
    }

    var rootfs: String { path + "/rootfs" }
    var logFIFO: String { path + "/log" }
    var addressFile: String { path + "/address" }
    var shimBinaryFile: String { path + "/shim-binary-path" }

    /// Creates the bundle: parents 0711, the directory 0700 with the
    /// `.creating` marker, `config.json` (the container's spec bytes,
    /// verbatim), `rootfs/`, the work directory and its link, and the `log`
    /// FIFO.
    ///
    /// - Throws: `alreadyExists` if the bundle exists; `internal` on I/O
    ///   errors (the partial bundle is removed).
    public func create(spec: [UInt8]) throws(RuntimeError) {
        try Self.makeDirectories(Self.parent(of: path), mode: 0o711)
        try Self.makeDirectories(Self.parent(of: workPath), mode: 0o711)
        guard mkdir(path, 0o700) == 0 else {
            if errno == EEXIST { throw .alreadyExists("task \(id): already exists") }
            throw .internal("mkdir \(path): \(Self.lastError())")
        }
        do throws(RuntimeError) {
            try mark(.creating)
            try Self.write(spec, to: path + "/config.json", mode: 0o666)
            guard mkdir(rootfs, 0o711) == 0 else { throw RuntimeError.internal("mkdir \(rootfs): \(Self.lastError())") }
            if mkdir(workPath, 0o711) != 0, errno != EEXIST {
                throw RuntimeError.internal("mkdir \(workPath): \(Self.lastError())")
            }
            guard symlink(workPath, path + "/work") == 0 else {
                throw RuntimeError.internal("symlink work: \(Self.lastError())")
            }
            guard mkfifo(logFIFO, 0o700) == 0 else { throw RuntimeError.internal("mkfifo log: \(Self.lastError())") }
        } catch {
            remove()
            throw error
        }
    }

    /// Opens the `log` FIFO for reading without blocking (before the shim
    /// starts: a shim that finds no reader exits). Returns the descriptor.
    public func openLog() throws(RuntimeError) -> Int32 {
        let fd = open(logFIFO, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .internal("open \(logFIFO): \(Self.lastError())") }
        return fd
    }

    /// The address the shim wrote, or nil.
    public func address() -> String? {
        guard let data = FileManager.default.contents(atPath: addressFile),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The shim binary recorded after a successful start, or nil.
    public func shimBinary() -> String? {
        guard let data = FileManager.default.contents(atPath: shimBinaryFile),
            let text = String(data: data, encoding: .utf8), !text.isEmpty
        else { return nil }
        return text
    }

    /// The executor timings a Berth shim recorded (`berth-phases`, lines of
    /// `NAME=MICROSECONDS`), in order; empty for other shims.
    public func executorPhases() -> [(name: String, microseconds: Int64)] {
        guard let data = FileManager.default.contents(atPath: path + "/berth-phases"),
            let text = String(data: data, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int64(parts[1]) else { return nil }
            return (String(parts[0]), value)
        }
    }

    /// Records the shim binary (for reloading after a restart).
    public func recordShimBinary(_ binary: String) throws(RuntimeError) {
        try Self.write(Array(binary.utf8), to: shimBinaryFile, mode: 0o644)
    }

    /// Sets an intent marker. Bundle files are not fsynced: they live in
    /// the state directory (tmpfs), which must survive a daemon crash, not
    /// a host crash (after which there is no container to recover).
    public func mark(_ intent: Intent) throws(RuntimeError) {
        try Self.write([], to: path + "/" + intent.rawValue, mode: 0o600)
    }

    /// Clears an intent marker.
    public func clear(_ intent: Intent) {
        unlink(path + "/" + intent.rawValue)
    }

    /// Whether an intent marker is set.
    public func isMarked(_ intent: Intent) -> Bool {
        access(path + "/" + intent.rawValue, F_OK) == 0
    }

    /// Whether the bundle directory exists.
    public var exists: Bool { access(path, F_OK) == 0 }

    /// Removes the bundle as containerd does: unmount `rootfs` (lazily if
    /// busy), rename to `.<id>` so a half-removed bundle is never loaded
    /// again, remove it, and remove the work directory. Best effort; never
    /// throws.
    public func remove() {
        try? Mounter.unmountAll(rootfs, detach: true)
        let hidden = Self.parent(of: path) + "/." + id
        let target = rename(path, hidden) == 0 ? hidden : path
        if !Mounter.isMountPoint(target + "/rootfs") {
            try? FileManager.default.removeItem(atPath: target)
        }
        try? FileManager.default.removeItem(atPath: workPath)
    }

    static func write(_ bytes: [UInt8], to file: String, mode: mode_t) throws(RuntimeError) {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .internal("open \(file): \(lastError())") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw .internal("write \(file): \(lastError())") }
            offset += written
        }
    }

    static func makeDirectories(_ path: String, mode: mode_t) throws(RuntimeError) {
        if access(path, F_OK) == 0 { return }
        let parent = parent(of: path)
        if parent != path { try makeDirectories(parent, mode: mode) }
        guard mkdir(path, mode) == 0 || errno == EEXIST else {
            throw .internal("mkdir \(path): \(lastError())")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
