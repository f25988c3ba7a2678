internal import BerthErrors
internal import BerthOCI
internal import FoundationEssentials

extension SpecDefaults {
    /// The data files a defaults directory holds.
    public static let fileNames = [
        "capabilities.json", "container.json", "devices.json", "mounts.json", "namespaces.json",
        "paths.json", "process.json", "seccomp.json",
    ]

    /// The defaults compiled into this binary from `runtime-spec/defaults/`.
    ///
    /// Decoded once. A decoding failure would mean the embedded files are
    /// broken; BerthBundleTests decodes them, so it cannot ship.
    public static func embedded() throws(BundleError) -> SpecDefaults {
        try embeddedResult.get()
    }

    /// The embedded file named `name` (one of ``fileNames``), as text.
    public static func embeddedFile(_ name: String) -> String? {
        EmbeddedDefaults.files[name]
    }

    private static let embeddedResult = Result { () throws(BundleError) -> SpecDefaults in
        try SpecDefaults(files: EmbeddedDefaults.files)
    }

    /// Decodes the defaults from the contents of the data files, keyed by file name.
    public init(files: [String: String]) throws(BundleError) {
        struct Paths: Decodable {
            var maskedPaths: [String]
            var readonlyPaths: [String]
        }
        let paths = try Self.decode(Paths.self, "paths.json", files)
        self.init(
            capabilities: try Self.decode([String].self, "capabilities.json", files),
            mounts: try Self.decode([Spec.Mount].self, "mounts.json", files),
            maskedPaths: paths.maskedPaths,
            readonlyPaths: paths.readonlyPaths,
            deviceRules: try Self.decode([Spec.Linux.Resources.DeviceRule].self, "devices.json", files),
            namespaces: try Self.decode([Spec.Linux.Namespace].self, "namespaces.json", files),
            process: try Self.decode(ProcessDefaults.self, "process.json", files),
            container: try Self.decode(ContainerDefaults.self, "container.json", files),
            seccomp: try Self.decode(SeccompProfile.self, "seccomp.json", files)
        )
    }

    private static func decode<T: Decodable>(
        _ type: T.Type,
        _ name: String,
        _ files: [String: String]
    ) throws(BundleError) -> T {
        guard let text = files[name] else {
            throw BundleError(.internal, "defaults: \(name) is missing")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw BundleError(.internal, "defaults: \(name) does not decode: \(error)")
        }
    }
}
