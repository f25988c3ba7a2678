internal import BerthOCI

extension SpecOption {
    /// Sets `root.path`.
    public static func rootfs(_ path: String) -> SpecOption {
        SpecOption("rootfs") { spec, _ throws(BundleError) in
            spec.root = Spec.Root(path: path, readonly: spec.root?.readonly)
        }
    }

    /// Mounts the root filesystem read-only.
    public static var readOnlyRootfs: SpecOption {
        SpecOption("read-only") { spec, _ throws(BundleError) in
            spec.root = Spec.Root(path: spec.root?.path ?? "rootfs", readonly: true)
        }
    }

    /// Adds the user's mounts. A mount replaces a default mount at the same
    /// destination, in its place (so `-v /host/shm:/dev/shm` wins over the
    /// default tmpfs); two user mounts at one destination are an error. Mounts
    /// are then ordered so that a parent directory is mounted before what is
    /// mounted inside it.
    public static func mounts(_ requests: [MountRequest], volumesRoot: String?) -> SpecOption {
        SpecOption("mounts") { spec, context throws(BundleError) in
            guard !requests.isEmpty else { return }
            let root = volumesRoot ?? context.defaults.container.volumesRoot
            var added: [Spec.Mount] = []
            for (index, request) in requests.enumerated() {
                let mount = try makeMount(request, volumesRoot: root, containerID: context.containerID, index: index)
                if added.contains(where: { $0.destination == mount.destination }) {
                    throw BundleError.invalid("duplicate mount point \(mount.destination)")
                }
                added.append(mount)
            }
            var result = spec.mounts ?? []
            for mount in added {
                if let index = result.firstIndex(where: { $0.destination == mount.destination }) {
                    result[index] = mount
                } else {
                    result.append(mount)
                }
            }
            spec.mounts = ordered(result, defaults: context.defaults.mounts)
        }
    }

    /// Turns the image's `Volumes` into anonymous volumes, skipping paths a
    /// mount already covers. Apply after ``mounts(_:volumesRoot:)``.
    public static func imageVolumes(
        _ policy: SpecOptions.ImageVolumePolicy,
        volumesRoot: String?
    ) -> SpecOption {
        SpecOption("image volumes") { spec, context throws(BundleError) in
            guard policy == .anonymous, let volumes = context.image?.config?.volumes, !volumes.isEmpty else { return }
            let root = volumesRoot ?? context.defaults.container.volumesRoot
            let existing = Set((spec.mounts ?? []).map { normalize($0.destination) })
            var added: [Spec.Mount] = []
            for (index, path) in volumes.sorted().enumerated() {
                let destination = normalize(path)
                guard destination.hasPrefix("/") else {
                    throw BundleError.invalid("the image's volume \"\(path)\" is not an absolute path")
                }
                if existing.contains(destination) { continue }
                let source = "\(root)/\(context.containerID)-anon\(index)/_data"
                added.append(
                    Spec.Mount(destination: destination, type: "bind", source: source, options: ["rbind", "rprivate"])
                )
            }
            spec.mounts = ordered((spec.mounts ?? []) + added, defaults: context.defaults.mounts)
        }
    }

    static func makeMount(
        _ request: MountRequest,
        volumesRoot: String,
        containerID: String,
        index: Int
    ) throws(BundleError) -> Spec.Mount {
        let destination = normalize(request.destination)
        guard destination.hasPrefix("/") else {
            throw BundleError.invalid("mount destination \"\(request.destination)\" is not an absolute path")
        }
        guard destination != "/" else {
            throw BundleError.invalid("cannot mount over / (use --rootfs)")
        }
        switch request.kind {
        case .tmpfs:
            var options = ["nosuid", "nodev", "noexec"]
            for option in request.tmpfsOptions {
                options = replacingFlag(in: options, with: option)
            }
            if request.readOnly { options = replacingFlag(in: options, with: "ro") }
            return Spec.Mount(destination: destination, type: "tmpfs", source: "tmpfs", options: options)
        case .bind(let source):
            guard source.hasPrefix("/") else {
                throw BundleError.invalid("bind source \"\(source)\" is not an absolute path")
            }
            return bindMount(source: normalize(source), destination: destination, request: request)
        case .volume(let name):
            let directory: String
            if let name {
                guard isValidVolumeName(name) else {
                    throw BundleError.invalid(
                        "invalid volume name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit"
                    )
                }
                directory = name
            } else {
                directory = "\(containerID)-vol\(index)"
            }
            return bindMount(source: "\(volumesRoot)/\(directory)/_data", destination: destination, request: request)
        }
    }

    private static func bindMount(source: String, destination: String, request: MountRequest) -> Spec.Mount {
        var options = [request.recursive ? "rbind" : "bind", (request.propagation ?? .rprivate).rawValue]
        if request.readOnly { options.append("ro") }
        return Spec.Mount(destination: destination, type: "bind", source: source, options: options)
    }

    /// Replaces the option that `option` contradicts (`exec` and `noexec`,
    /// `ro` and `rw`, `size=` and `size=`, …) or appends it.
    static func replacingFlag(in options: [String], with option: String) -> [String] {
        let opposites: [String: String] = [
            "exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
            "dev": "nodev", "nodev": "dev", "ro": "rw", "rw": "ro",
        ]
        let key = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
        let kept = options.filter { existing in
            let existingKey = existing.split(separator: "=", maxSplits: 1).first.map(String.init) ?? existing
            return existingKey != key && existing != opposites[option]
        }
        return kept + [option]
    }

    /// Collapses repeated and trailing slashes and `.` components; `..` is kept
    /// for the runtime to refuse.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }

    /// The mounts at the default destinations first, in their order, then the
    /// others ordered so parents come before their children (by depth, keeping
    /// the given order between mounts of the same depth), as Docker sorts them.
    static func ordered(_ mounts: [Spec.Mount], defaults: [Spec.Mount]) -> [Spec.Mount] {
        let defaultDestinations = Set(defaults.map(\.destination))
        let fixed = mounts.filter { defaultDestinations.contains($0.destination) }
        let others = mounts.filter { !defaultDestinations.contains($0.destination) }
        return fixed
            + others.enumerated().sorted { lhs, rhs in
                let left = lhs.element.destination.split(separator: "/").count
                let right = rhs.element.destination.split(separator: "/").count
                return left == right ? lhs.offset < rhs.offset : left < right
            }.map(\.element)
    }

    static func isValidVolumeName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
