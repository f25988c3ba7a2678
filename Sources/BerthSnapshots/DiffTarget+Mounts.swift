extension DiffTarget {
    /// The diff target a set of mounts describes, as containerd's applier
    /// reads them: one overlay mount writes into its `upperdir` with its
    /// `lowerdir`s as parents and overlay whiteouts; one read-write bind
    /// mount writes into its source with deletions applied. Nil for
    /// anything else (which would need a real mount).
    public init?(mounts: [Mount]) {
        guard mounts.count == 1 else { return nil }
        let mount = mounts[0]
        switch mount.type {
        case "overlay":
            guard let upper = mount.option("upperdir") else { return nil }
            let lowers = mount.option("lowerdir").map { $0.split(separator: ":").map(String.init) } ?? []
            self.init(directory: upper, lowerDirectories: lowers, whiteouts: .overlay)
        case "bind":
            guard !mount.options.contains("ro") else { return nil }
            self.init(directory: mount.source, lowerDirectories: [], whiteouts: .delete)
        default:
            return nil
        }
    }
}
