internal import BerthErrors
public import BerthOCI
public import Logging

/// Turns an image config and user options into an OCI runtime spec.
///
/// It starts from ``SpecDefaults/spec()``, applies ``SpecOption/imageConfig``,
/// then ``SpecOptions/specOptions()`` in order, and checks the result:
/// a command must be set and every capability name must be known.
/// `runtime-spec/CONVERSION.md` is the field-by-field description.
public struct BundleGenerator: Sendable {
    public var defaults: SpecDefaults
    public var host: any BundleHost

    public init(defaults: SpecDefaults, host: any BundleHost) {
        self.defaults = defaults
        self.host = host
    }

    /// A generator with the embedded defaults, for the running host.
    public static func live() throws(BundleError) -> BundleGenerator {
        BundleGenerator(defaults: try SpecDefaults.embedded(), host: LiveHost())
    }

    /// Generates the spec of container `options.containerID` from `image`,
    /// whose root filesystem is at `rootfs` on the host (it is read for
    /// `/etc/passwd` and `/etc/group`, and becomes `root.path`).
    public func generate(
        image: ImageConfig?,
        rootfs: String,
        options: SpecOptions,
        logger: Logger
    ) throws(BundleError) -> Spec {
        do {
            try Identifier.validate(options.containerID)
        } catch {
            throw BundleError.wrapping(error, "invalid container id")
        }
        if let image, !image.os.isEmpty, image.os != "linux" {
            throw BundleError(.failedPrecondition, "the image is for \(image.os), not linux")
        }
        let context = SpecContext(
            containerID: options.containerID,
            rootfs: rootfs,
            image: image,
            defaults: defaults,
            host: host,
            logger: logger
        )
        var spec = defaults.spec()
        let list = [SpecOption.rootfs(rootfs), .imageConfig] + options.specOptions()
        for option in list {
            logger.trace("applying spec option", metadata: ["option": "\(option.name)"])
            try option.apply(to: &spec, in: context)
        }
        try Self.check(spec)
        return spec
    }

    /// The checks that need the whole spec.
    static func check(_ spec: Spec) throws(BundleError) {
        guard let args = spec.process?.args, !args.isEmpty, !args[0].isEmpty else {
            throw BundleError.invalid(
                "no command specified: the image has no Entrypoint or Cmd, and none was given"
            )
        }
        if let sets = spec.process?.capabilities {
            for names in [sets.bounding, sets.effective, sets.permitted, sets.inheritable, sets.ambient] {
                _ = try SpecOption.canonicalCapabilities(names ?? [])
            }
        }
    }
}
