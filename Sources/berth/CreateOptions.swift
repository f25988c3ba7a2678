import ArgumentParser
import BerthAPI
import BerthBundle
import BerthOCI
import BerthShimProto
import Foundation
import Logging
import SwiftProtobuf

/// The options `berth create` and `berth run` add to the spec flags.
struct CreateOptions: ParsableArguments {
    @Option(help: "The container's name, used as its id (default: 64 random hex digits).")
    var name: String?

    @Option(help: "runc, crun, runsc (the executor under io.containerd.runc.v2), or a runtime name.")
    var runtime: String?

    @Option(name: [.customShort("l"), .customLong("label")], help: "Set a container label (KEY=VALUE).")
    var labels: [String] = []

    @Option(help: "The snapshotter.")
    var snapshotter = "overlayfs"

    @Option(
        name: .customLong("log-dir"),
        help: "Where container logs are kept (default: $BERTH_LOG_DIR or \(LogFiles.defaultRoot)).")
    var logDir: String?

    /// The log root: the option, then `BERTH_LOG_DIR`, then the default.
    var resolvedLogRoot: String {
        logDir ?? ClientOptions.environment("BERTH_LOG_DIR") ?? LogFiles.defaultRoot
    }

    /// The request for `image` with `flags`.
    func request(image: String, flags: RunFlags) throws -> ContainerRequest {
        let id = name ?? SpecCommand.randomID()
        do {
            try Identifier.validate(id)
        } catch {
            throw ValidationError("--name: \(error)")
        }
        var request = ContainerRequest(
            id: id, image: image, runtime: runtime, flags: flags, snapshotter: snapshotter,
            logRoot: SpecCommand.absolute(resolvedLogRoot))
        for entry in labels {
            let (key, value) = try FlagParser.keyValue(entry, flag: "--label")
            request.labels[key] = value
        }
        if flags.interactive { request.labels[ContainerAPI.interactiveLabel] = "true" }
        return request
    }

    /// A logger for the generator's warnings, on stderr.
    static var logger: Logger {
        var logger = Logger(label: "berth") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }
}
