/// A mount the user asked for: `-v`, `--mount` or `--tmpfs`.
public struct MountRequest: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A host path (`-v /src:/dst`, `--mount type=bind`).
        case bind(source: String)
        /// A named volume (`-v name:/dst`), or an anonymous one when nil
        /// (`-v /dst`): a directory under the volumes root.
        case volume(name: String?)
        /// A tmpfs (`--tmpfs /dst`, `--mount type=tmpfs`).
        case tmpfs
    }

    /// Bind propagation (`rprivate` unless given).
    public enum Propagation: String, CaseIterable, Equatable, Sendable {
        case `private`, rprivate, shared, rshared, slave, rslave
    }

    public var kind: Kind
    /// Absolute path inside the container.
    public var destination: String
    public var readOnly: Bool
    /// Binds and volumes: how mount events propagate.
    public var propagation: Propagation?
    /// Binds: include sub-mounts (`rbind`, the default) or not (`bind`).
    public var recursive: Bool
    /// tmpfs: extra options such as `size=64m`, `mode=1777`, `exec`.
    public var tmpfsOptions: [String]

    public init(
        kind: Kind,
        destination: String,
        readOnly: Bool = false,
        propagation: Propagation? = nil,
        recursive: Bool = true,
        tmpfsOptions: [String] = []
    ) {
        self.kind = kind
        self.destination = destination
        self.readOnly = readOnly
        self.propagation = propagation
        self.recursive = recursive
        self.tmpfsOptions = tmpfsOptions
    }
}

/// A host device to make available (`--device /dev/fuse[:/dev/fuse][:rwm]`).
public struct DeviceRequest: Equatable, Sendable {
    /// The device node on the host.
    public var hostPath: String
    /// Where it appears in the container; by default the host path.
    public var containerPath: String
    /// cgroup permissions: some of `r`, `w`, `m`.
    public var permissions: String

    public init(hostPath: String, containerPath: String? = nil, permissions: String = "rwm") {
        self.hostPath = hostPath
        self.containerPath = containerPath ?? hostPath
        self.permissions = permissions
    }
}
