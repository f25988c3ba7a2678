extension MountRequest {
    /// `-v`/`--volume`: `/host:/ctr[:opts]` (bind), `name:/ctr[:opts]`
    /// (named volume) or `/ctr` (anonymous volume). Options, comma-separated:
    /// `ro`, `rw`, a propagation mode, and `z`, `Z`, `nocopy` (accepted, no effect).
    public init(volumeFlag text: String) throws(BundleError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw BundleError.invalid("-v: invalid value \"\(text)\" (want [SOURCE:]DESTINATION[:OPTIONS])")
        }
        if parts.count == 1 {
            self.init(kind: .volume(name: nil), destination: parts[0])
            return
        }
        let source = parts[0]
        self.init(
            kind: source.hasPrefix("/") ? .bind(source: source) : .volume(name: source),
            destination: parts[1]
        )
        guard parts.count == 3 else { return }
        for option in parts[2].split(separator: ",").map(String.init) {
            switch option {
            case "ro": readOnly = true
            case "rw": readOnly = false
            case "z", "Z", "nocopy": continue
            default:
                guard let mode = Propagation(rawValue: option) else {
                    throw BundleError.invalid("-v: unknown option \"\(option)\" in \"\(text)\"")
                }
                propagation = mode
            }
        }
    }

    /// `--tmpfs /ctr[:opts]`, options as for `mount -t tmpfs` (`size=64m,mode=1777,exec`).
    public init(tmpfsFlag text: String) throws(BundleError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let destination = parts.first, !destination.isEmpty else {
            throw BundleError.invalid("--tmpfs: invalid value \"\(text)\" (want DESTINATION[:OPTIONS])")
        }
        let options = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
        self.init(kind: .tmpfs, destination: destination, tmpfsOptions: options)
    }

    /// `--mount type=bind|volume|tmpfs,source=…,target=…,readonly,…` with
    /// Docker's keys: `src`/`source`, `dst`/`destination`/`target`,
    /// `ro`/`readonly`, `bind-propagation`, `bind-recursive=enabled|disabled`,
    /// `bind-nonrecursive`, `volume-nocopy`, `tmpfs-size`, `tmpfs-mode`.
    public init(mountFlag text: String) throws(BundleError) {
        var fields: [String: String] = [:]
        for item in text.split(separator: ",").map(String.init) {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            let key = pair[0].lowercased()
            guard fields[key] == nil else {
                throw BundleError.invalid("--mount: \"\(key)\" given twice in \"\(text)\"")
            }
            fields[key] = pair.count > 1 ? pair[1] : ""
        }
        func flag(_ key: String) throws(BundleError) -> Bool {
            guard let value = fields.removeValue(forKey: key) else { return false }
            switch value.lowercased() {
            case "", "true", "1": return true
            case "false", "0": return false
            default: throw BundleError.invalid("--mount: \(key) must be true or false, not \"\(value)\"")
            }
        }
        func take(_ keys: String...) -> String? {
            var found: String?
            for key in keys {
                if let value = fields.removeValue(forKey: key) { found = value }
            }
            return found
        }
        let type = take("type") ?? "volume"
        guard let destination = take("target", "destination", "dst"), !destination.isEmpty else {
            throw BundleError.invalid("--mount: a target is required in \"\(text)\"")
        }
        let source = take("source", "src")
        let readOnlyLong = try flag("readonly")
        let readOnly = try flag("ro") || readOnlyLong
        switch type {
        case "bind":
            guard let source, !source.isEmpty else {
                throw BundleError.invalid("--mount: a bind mount needs a source in \"\(text)\"")
            }
            self.init(kind: .bind(source: source), destination: destination, readOnly: readOnly)
            if let mode = take("bind-propagation") {
                guard let value = Propagation(rawValue: mode) else {
                    throw BundleError.invalid("--mount: unknown bind-propagation \"\(mode)\"")
                }
                propagation = value
            }
            if try flag("bind-nonrecursive") { recursive = false }
            if let value = take("bind-recursive") {
                switch value {
                case "enabled": recursive = true
                case "disabled": recursive = false
                default:
                    throw BundleError.invalid("--mount: bind-recursive must be enabled or disabled, not \"\(value)\"")
                }
            }
        case "volume":
            self.init(
                kind: .volume(name: source.flatMap { $0.isEmpty ? nil : $0 }), destination: destination,
                readOnly: readOnly)
            _ = try flag("volume-nocopy")
        case "tmpfs":
            if let source, !source.isEmpty {
                throw BundleError.invalid("--mount: a tmpfs mount takes no source")
            }
            var options: [String] = []
            if let size = take("tmpfs-size") {
                options.append("size=\(try FlagParser.byteSize(size, flag: "--mount tmpfs-size"))")
            }
            if let mode = take("tmpfs-mode") {
                guard !mode.isEmpty, mode.allSatisfy({ ("0"..."7").contains($0) }), let value = UInt32(mode, radix: 8),
                    value <= 0o7777
                else {
                    throw BundleError.invalid("--mount: tmpfs-mode must be octal, not \"\(mode)\"")
                }
                options.append("mode=" + String(value, radix: 8))
            }
            self.init(kind: .tmpfs, destination: destination, readOnly: readOnly, tmpfsOptions: options)
        default:
            throw BundleError.invalid("--mount: unsupported type \"\(type)\" (want bind, volume or tmpfs)")
        }
        if let unknown = fields.keys.sorted().first {
            throw BundleError.invalid("--mount: unknown key \"\(unknown)\" in \"\(text)\"")
        }
    }
}
