/// A filesystem mount as containerd describes one: what a consumer (the
/// shim, `ctr`, a test) passes to mount(2) to get a snapshot's view.
///
/// Overlay mounts carry `lowerdir=`, `upperdir=` and `workdir=` options;
/// bind mounts carry `rbind` and `ro` or `rw`.
public struct Mount: Sendable, Hashable, Codable {
    /// The filesystem type: `overlay`, `bind`, …
    public var type: String
    /// The device or directory mounted (`overlay` for overlay mounts).
    public var source: String
    /// A path below the mount point the mount goes to; empty for the mount point itself.
    public var target: String
    /// mount(8)-style options; flags (`ro`, `rbind`, `nosuid`, …) are
    /// turned into mount flags, the rest into the data string.
    public var options: [String]

    public init(type: String, source: String, target: String = "", options: [String] = []) {
        self.type = type
        self.source = source
        self.target = target
        self.options = options
    }

    /// True if the mount is read-only.
    public var isReadOnly: Bool {
        options.contains("ro") || (type == "overlay" && !options.contains { $0.hasPrefix("upperdir=") })
    }

    /// The value of a `key=value` option, if present.
    public func option(_ key: String) -> String? {
        let prefix = key + "="
        return options.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
