/// berthd's configuration, in containerd's shape.
///
/// Read from TOML (``init(toml:)``), with every key optional: what a file
/// leaves out keeps the embedded default. ``defaults`` is what
/// `berthd config default` prints.
public struct DaemonConfig: Sendable, Equatable {
    /// The config format version (containerd 1.6 writes 2).
    public var version: Int = 2
    /// Persistent data: metadata, content, snapshots.
    public var root: String = "/var/lib/berth"
    /// Volatile state: sockets, bundles.
    public var state: String = "/run/berth"
    /// The gRPC API socket.
    public var grpc = Socket(address: "/run/berth/berth.sock")
    /// The ttrpc socket shims forward events to (their `TTRPC_ADDRESS`).
    public var ttrpc = Socket(address: "/run/berth/berth.sock.ttrpc")
    /// The default snapshotter (`[plugins."io.berth.snapshotter.v1"] default`).
    public var snapshotter: String = "overlayfs"
    /// Berth's shim binary (`shim_path`); nil means `berth-shim` next to
    /// berthd's own executable.
    public var shimPath: String? = nil
    /// The runtime used when a container names none.
    public var defaultRuntime: String = "runc"
    /// Runtimes by name (`[runtimes.<name>]`).
    public var runtimes: [String: Runtime] = [
        "runc": Runtime(runtimeType: "io.containerd.berth.v2", binaryName: "runc"),
        "crun": Runtime(runtimeType: "io.containerd.berth.v2", binaryName: "crun"),
        "runsc": Runtime(runtimeType: "io.containerd.berth.v2", binaryName: "runsc"),
    ]

    /// Caps on what a registry and an image may make berthd read or write
    /// (`[limits]`): hostile or broken images fail with a clear error.
    public var limits = Limits()

    /// The `[limits]` table.
    public struct Limits: Sendable, Equatable {
        /// The largest manifest or index accepted from a registry.
        public var maxManifestSize: Int64 = 4 << 20
        /// The largest image config accepted.
        public var maxConfigSize: Int64 = 8 << 20
        /// How deep indexes may nest inside indexes.
        public var maxIndexDepth: Int = 4
        /// The most tar entries per layer.
        public var maxLayerEntries: Int = 1_000_000
        /// The most bytes a layer may expand to.
        public var maxLayerBytes: Int64 = 64 << 30
    }

    /// A unix socket the daemon listens on.
    public struct Socket: Sendable, Equatable {
        /// The socket path.
        public var address: String
        /// Owner and group the socket is chowned to.
        public var uid: Int = 0
        public var gid: Int = 0
        /// Permission bits of the socket file.
        public var mode: Int = 0o660
        /// Largest message accepted and sent (containerd: 16 MiB).
        public var maxMessageSize: Int = 16 << 20
    }

    /// One entry of the `[runtimes]` table.
    public struct Runtime: Sendable, Equatable {
        /// The containerd runtime name the shim is found by
        /// (`io.containerd.berth.v2` → `containerd-shim-berth-v2`).
        public var runtimeType: String
        /// The OCI executor the shim runs (`runc`, `crun`, `runsc`).
        public var binaryName: String
    }

    /// The configuration file read when `--config` is not given (if it exists).
    public static let defaultPath = "/etc/berth/config.toml"

    /// The embedded defaults.
    public static let defaults = DaemonConfig()

    /// The defaults.
    public init() {}

    /// The plugin section key that holds the snapshotter choice.
    public static let snapshotterPlugin = "io.berth.snapshotter.v1"

    /// Where the server's persistent UUID is kept.
    public var uuidPath: String { root + "/introspection/uuid" }

    /// The lock file that keeps a second daemon off the same socket.
    public var lockPath: String { grpc.address + ".lock" }

    /// Applies command-line overrides; `nil` keeps the configured value. A
    /// ttrpc address of `<grpc address>.ttrpc` moves with the gRPC address.
    public mutating func override(root: String?, state: String?, address: String?) {
        if let root { self.root = root }
        if let state { self.state = state }
        if let address {
            // A ttrpc socket that follows the gRPC one keeps following it.
            if ttrpc.address == grpc.address + ".ttrpc" { ttrpc.address = address + ".ttrpc" }
            grpc.address = address
        }
    }
}
