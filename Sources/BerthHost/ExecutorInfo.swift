/// An OCI executor (runc, crun, runsc) found on this host.
public struct ExecutorInfo: Codable, Sendable, Equatable {
    /// `runc`, `crun` or `runsc`.
    public var name: String
    /// Where it was found.
    public var path: String
    /// The first line of `<executor> --version`, when it ran.
    public var version: String?
    /// What it supports, from its `features` command or the static table.
    public var features: ExecutorFeatures?
    /// Where ``features`` came from; nil when there are none.
    public var featuresSource: FeaturesSource?
    /// Problems met while examining the executor.
    public var warnings: [String]

    public init(
        name: String, path: String, version: String? = nil, features: ExecutorFeatures? = nil,
        featuresSource: FeaturesSource? = nil, warnings: [String] = []
    ) {
        self.name = name
        self.path = path
        self.version = version
        self.features = features
        self.featuresSource = featuresSource
        self.warnings = warnings
    }

    /// Where an executor's features were learned.
    public enum FeaturesSource: String, Codable, Sendable {
        /// From running `<executor> features`.
        case executor
        /// From Berth's static table (``ExecutorFeatures/staticTable``).
        case staticTable = "static-table"
    }
}
