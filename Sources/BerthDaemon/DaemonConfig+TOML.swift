import TOMLKit

extension DaemonConfig {
    /// Parses `text`, starting from the defaults.
    ///
    /// - Throws: `invalidArgument` for TOML syntax errors and for keys of
    ///   the wrong type.
    public init(toml text: String) throws(DaemonError) {
        self.init()
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .invalidArgument("config: \(error.description) at \(error.source.begin)")
        } catch {
            throw .invalidArgument("config: \(error)")
        }
        version = try Self.int(table, "version") ?? version
        root = try Self.string(table, "root") ?? root
        state = try Self.string(table, "state") ?? state
        if let section = try Self.table(table, "grpc") { grpc = try grpc.reading(section, "grpc") }
        if let section = try Self.table(table, "ttrpc") { ttrpc = try ttrpc.reading(section, "ttrpc") }
        if let plugins = try Self.table(table, "plugins"),
            let section = try Self.table(plugins, Self.snapshotterPlugin)
        {
            snapshotter = try Self.string(section, "default") ?? snapshotter
        }
        if let section = try Self.table(table, "limits") { limits = try limits.reading(section) }
        defaultRuntime = try Self.string(table, "default_runtime") ?? defaultRuntime
        shimPath = try Self.string(table, "shim_path") ?? shimPath
        if let section = try Self.table(table, "runtimes") {
            var parsed: [String: Runtime] = [:]
            for name in section.keys {
                guard let entry = try Self.table(section, name) else { continue }
                parsed[name] = Runtime(
                    runtimeType: try Self.string(entry, "runtime_type") ?? "io.containerd.berth.v2",
                    binaryName: try Self.string(entry, "binary_name") ?? name
                )
            }
            runtimes = parsed
        }
        guard version == 2 else { throw .invalidArgument("config: unsupported version \(version) (want 2)") }
    }

    /// The configuration as TOML, in the order containerd prints its own.
    public var toml: String {
        var lines = [
            "version = \(version)",
            "root = \(Self.quoted(root))",
            "state = \(Self.quoted(state))",
            "default_runtime = \(Self.quoted(defaultRuntime))",
        ]
        if let shimPath { lines.append("shim_path = \(Self.quoted(shimPath))") }
        lines.append("")
        for (name, socket) in [("grpc", grpc), ("ttrpc", ttrpc)] {
            lines += [
                "[\(name)]",
                "  address = \(Self.quoted(socket.address))",
                "  uid = \(socket.uid)",
                "  gid = \(socket.gid)",
                "  mode = \(Self.quoted("0" + String(socket.mode, radix: 8)))",
                "  max_message_size = \(socket.maxMessageSize)",
                "",
            ]
        }
        lines += [
            "[limits]",
            "  max_manifest_size = \(limits.maxManifestSize)",
            "  max_config_size = \(limits.maxConfigSize)",
            "  max_index_depth = \(limits.maxIndexDepth)",
            "  max_layer_entries = \(limits.maxLayerEntries)",
            "  max_layer_bytes = \(limits.maxLayerBytes)",
            "",
        ]
        lines += ["[plugins]", "  [plugins.\(Self.quoted(Self.snapshotterPlugin))]"]
        lines += ["    default = \(Self.quoted(snapshotter))", ""]
        for name in runtimes.keys.sorted() {
            guard let runtime = runtimes[name] else { continue }
            lines += [
                "[runtimes.\(Self.quoted(name))]",
                "  runtime_type = \(Self.quoted(runtime.runtimeType))",
                "  binary_name = \(Self.quoted(runtime.binaryName))",
                "",
            ]
        }
        return lines.joined(separator: "\n")
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func string(_ table: TOMLTable, _ key: String) throws(DaemonError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw .invalidArgument("config: \(key) must be a string") }
        return string
    }

    static func int(_ table: TOMLTable, _ key: String) throws(DaemonError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else { throw .invalidArgument("config: \(key) must be an integer") }
        return int
    }

    static func table(_ table: TOMLTable, _ key: String) throws(DaemonError) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let nested = value.table else { throw .invalidArgument("config: [\(key)] must be a table") }
        return nested
    }
}

extension DaemonConfig.Socket {
    fileprivate func reading(_ table: TOMLTable, _ name: String) throws(DaemonError) -> Self {
        var socket = self
        socket.address = try DaemonConfig.string(table, "address") ?? address
        socket.uid = try DaemonConfig.int(table, "uid") ?? uid
        socket.gid = try DaemonConfig.int(table, "gid") ?? gid
        socket.maxMessageSize = try DaemonConfig.int(table, "max_message_size") ?? maxMessageSize
        if let text = try DaemonConfig.string(table, "mode") {
            guard let parsed = Int(text, radix: 8), (0...0o777).contains(parsed) else {
                throw .invalidArgument("config: \(name).mode \(text) is not an octal permission")
            }
            socket.mode = parsed
        }
        return socket
    }
}

extension DaemonConfig.Limits {
    fileprivate func reading(_ table: TOMLTable) throws(DaemonError) -> Self {
        var limits = self
        func positive(_ key: String) throws(DaemonError) -> Int? {
            guard let value = try DaemonConfig.int(table, key) else { return nil }
            guard value > 0 else { throw .invalidArgument("config: limits.\(key) must be positive") }
            return value
        }
        limits.maxManifestSize = try positive("max_manifest_size").map(Int64.init) ?? maxManifestSize
        limits.maxConfigSize = try positive("max_config_size").map(Int64.init) ?? maxConfigSize
        limits.maxIndexDepth = try positive("max_index_depth") ?? maxIndexDepth
        limits.maxLayerEntries = try positive("max_layer_entries") ?? maxLayerEntries
        limits.maxLayerBytes = try positive("max_layer_bytes").map(Int64.init) ?? maxLayerBytes
        return limits
    }
}
