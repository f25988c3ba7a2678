import Foundation

/// Finds the shim binary for a container's runtime name, as containerd does,
/// plus Berth's table:
///
/// 1. An absolute path is the shim itself (`ctr run --runtime /usr/bin/containerd-shim-runc-v2`).
/// 2. A name in the configured table (`runc`, `crun`, `runsc`, …) resolves
///    its runtime type and adds the executor it names.
/// 3. `io.containerd.runc.v2` and `io.containerd.berth.v2` are Berth's shim:
///    it implements runc's shim contract, with `binary_name` choosing crun
///    or runsc.
/// 4. Any other `io.containerd.<name>.<version>` is `containerd-shim-<name>-<version>`,
///    looked up next to the daemon's binary and then on `PATH`.
public struct ShimResolver: Sendable {
    /// One configured runtime: the runtime type its shim is found by and
    /// the executor the shim should drive (empty: the shim's default).
    public struct Entry: Sendable, Equatable {
        public var runtimeType: String
        public var executor: String

        public init(runtimeType: String, executor: String) {
            self.runtimeType = runtimeType
            self.executor = executor
        }
    }

    /// A resolved runtime.
    public struct Resolved: Sendable, Equatable {
        /// The shim binary's absolute path.
        public var binary: String
        /// The executor to ask for when the container's options name none.
        public var executor: String
        /// Whether the shim is Berth's own (it speaks the journal extension).
        public var isBerthShim: Bool

        public init(binary: String, executor: String, isBerthShim: Bool) {
            self.binary = binary
            self.executor = executor
            self.isBerthShim = isBerthShim
        }
    }

    /// The runtime types Berth's shim serves.
    public static let berthRuntimeTypes: Set<String> = ["io.containerd.runc.v2", "io.containerd.berth.v2"]

    /// Berth's shim binary.
    public var berthShim: String
    /// The configured table.
    public var entries: [String: Entry]
    /// Directories searched for other shims.
    public var searchPath: [String]

    /// A resolver; `berthShim` is the path of `berth-shim`.
    public init(berthShim: String, entries: [String: Entry], searchPath: [String]) {
        self.berthShim = berthShim
        self.entries = entries
        self.searchPath = searchPath
    }

    /// The shim for runtime `name`.
    ///
    /// - Throws: `invalidArgument` for an empty name; `notFound` when no
    ///   binary exists.
    public func resolve(_ name: String) throws(RuntimeError) -> Resolved {
        guard !name.isEmpty else { throw .invalidArgument("runtime name must not be empty") }
        if name.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else {
                throw .notFound("runtime \(name): no such executable")
            }
            return Resolved(binary: name, executor: "", isBerthShim: Self.isBerth(name, berthShim: berthShim))
        }
        if let entry = entries[name], entry.runtimeType != name {
            var resolved = try resolve(entry.runtimeType)
            if !entry.executor.isEmpty { resolved.executor = entry.executor }
            return resolved
        }
        if Self.berthRuntimeTypes.contains(name) {
            return Resolved(binary: berthShim, executor: "", isBerthShim: true)
        }
        let parts = name.split(separator: ".")
        guard parts.count >= 2 else { throw .notFound("runtime \(name): not installed on system") }
        let file = "containerd-shim-" + parts.suffix(2).joined(separator: "-")
        for directory in searchPath where FileManager.default.isExecutableFile(atPath: directory + "/" + file) {
            let binary = directory + "/" + file
            return Resolved(binary: binary, executor: "", isBerthShim: Self.isBerth(binary, berthShim: berthShim))
        }
        throw .notFound("runtime \(name): \(file) not installed on system")
    }

    /// Whether `binary` is (a link to) Berth's shim.
    static func isBerth(_ binary: String, berthShim: String) -> Bool {
        let resolved = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        return resolved == URL(fileURLWithPath: berthShim).resolvingSymlinksInPath().path
    }

    /// The search path for a daemon at `daemonBinary`: its own directory,
    /// then `PATH`.
    public static func searchPath(daemonBinary: String) -> [String] {
        let own = URL(fileURLWithPath: daemonBinary).deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return [own] + path.split(separator: ":").map(String.init)
    }
}
