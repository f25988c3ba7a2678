public import BerthOCI
public import Logging

/// What an option may consult besides the spec it changes.
public struct SpecContext: Sendable {
    public var containerID: String
    /// The root filesystem on the host, for user resolution.
    public var rootfs: String
    /// The image config being converted; nil for a spec without an image.
    public var image: ImageConfig?
    public var defaults: SpecDefaults
    public var host: any BundleHost
    public var logger: Logger

    public init(
        containerID: String,
        rootfs: String,
        image: ImageConfig?,
        defaults: SpecDefaults,
        host: any BundleHost,
        logger: Logger
    ) {
        self.containerID = containerID
        self.rootfs = rootfs
        self.image = image
        self.defaults = defaults
        self.host = host
        self.logger = logger
    }
}

/// One small, named change to a spec, in the style of containerd's `SpecOpts`.
///
/// ``BundleGenerator`` applies a list of these, in order, to the default spec;
/// ``SpecOptions/specOptions()`` builds that list from user options. Each
/// factory (`.env(_:)`, `.capabilities(add:drop:)`, …) is tested alone.
public struct SpecOption: Sendable, CustomStringConvertible {
    public typealias Body = @Sendable (inout Spec, SpecContext) throws(BundleError) -> Void

    /// A short name for logs and error messages, e.g. `env`.
    public let name: String
    private let body: Body

    public init(_ name: String, _ body: @escaping Body) {
        self.name = name
        self.body = body
    }

    public func apply(to spec: inout Spec, in context: SpecContext) throws(BundleError) {
        try body(&spec, context)
    }

    public var description: String { name }
}

extension Spec {
    /// The process, created on first use, so options never deal with nil.
    var processOrDefault: Spec.Process {
        get { process ?? Spec.Process() }
        set { process = newValue }
    }

    /// The Linux section, created on first use.
    var linuxOrDefault: Spec.Linux {
        get { linux ?? Spec.Linux() }
        set { linux = newValue }
    }

    /// The cgroup resources, created on first use.
    var resourcesOrDefault: Spec.Linux.Resources {
        get { linux?.resources ?? Spec.Linux.Resources() }
        set { linuxOrDefault.resources = newValue }
    }

    /// Whether the spec creates (not joins) a namespace of `type`, or joins one by path.
    func hasNamespace(_ type: Spec.Linux.NamespaceType) -> Bool {
        linux?.namespaces?.contains { $0.type == type } ?? false
    }

    /// The namespace entry of `type`, if any.
    func namespace(_ type: Spec.Linux.NamespaceType) -> Spec.Linux.Namespace? {
        linux?.namespaces?.first { $0.type == type }
    }
}
