internal import BerthOCI

extension SpecOption {
    /// The image-spec annotation recording the image's exposed ports.
    public static let exposedPortsAnnotation = "org.opencontainers.image.exposedPorts"
    /// The image-spec annotation recording the image's stop signal.
    public static let stopSignalAnnotation = "org.opencontainers.image.stopSignal"

    /// Converts the context's image config, following the image-spec
    /// conversion rules:
    ///
    /// - `process.args` = `Entrypoint` + `Cmd`;
    /// - `process.env` = the default environment with `Env` applied (the
    ///   image's `PATH` replaces the default one);
    /// - `process.cwd` = `WorkingDir`, or `/`;
    /// - `annotations`: `os`, `architecture`, `variant`, `os.version`,
    ///   `os.features`, `author`, `created`, `StopSignal` and `ExposedPorts`
    ///   as `org.opencontainers.image.*`, then `Labels`, which win.
    ///
    /// `User` is resolved by ``user(_:)``, `Volumes` by ``imageVolumes(_:volumesRoot:)``.
    public static var imageConfig: SpecOption {
        SpecOption("image config") { spec, context throws(BundleError) in
            guard let image = context.image else { return }
            let config = image.config ?? ImageConfig.Config()
            let args = (config.entrypoint ?? []) + (config.cmd ?? [])
            spec.processOrDefault.args = args.isEmpty ? nil : args
            spec.processOrDefault.env = try Environment.merge(spec.processOrDefault.env ?? [], config.env ?? [])
            if let workingDir = config.workingDir, !workingDir.isEmpty {
                guard workingDir.hasPrefix("/") else {
                    throw BundleError.invalid("the image's WorkingDir \"\(workingDir)\" is not an absolute path")
                }
                spec.processOrDefault.cwd = workingDir
            }
            var annotations = spec.annotations ?? [:]
            for (key, value) in implicitAnnotations(image) {
                annotations[key] = value
            }
            for (key, value) in config.labels ?? [:] {
                annotations[key] = value
            }
            spec.annotations = annotations.isEmpty ? nil : annotations
        }
    }

    /// The annotations the image-spec derives from config fields.
    static func implicitAnnotations(_ image: ImageConfig) -> [String: String] {
        let prefix = "org.opencontainers.image."
        var result: [String: String] = [
            prefix + "os": image.os,
            prefix + "architecture": image.architecture,
        ]
        result[prefix + "variant"] = image.variant
        result[prefix + "os.version"] = image.osVersion
        result[prefix + "os.features"] = image.osFeatures.map { $0.joined(separator: ",") }
        result[prefix + "author"] = image.author
        result[prefix + "created"] = image.created
        if let signal = image.config?.stopSignal, !signal.isEmpty {
            result[stopSignalAnnotation] = signal
        }
        if let ports = image.config?.exposedPorts, !ports.isEmpty {
            result[exposedPortsAnnotation] = ports.sorted().joined(separator: ",")
        }
        return result.filter { !$0.value.isEmpty }
    }
}
