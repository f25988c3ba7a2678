import ArgumentParser
import BerthBundle
import BerthOCI
import BerthSystem
import Foundation
import Logging

/// `berth spec`: print (or write into a bundle) the OCI runtime spec that
/// `berth run` would use for an image and run options.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Generate the OCI runtime spec (config.json) for an image and run options.",
        discussion: """
            The image is an image config JSON file or an OCI image layout directory \
            (DIR or DIR:TAG). Arguments after the options replace the image's CMD. \
            runtime-spec/CONVERSION.md describes every field.
            """
    )

    @Option(help: "An image config JSON file, or an OCI image layout directory (DIR or DIR:TAG).")
    var image: String

    @Option(help: "The container's root filesystem on the host (default: BUNDLE/rootfs, or ./rootfs).")
    var rootfs: String?

    @Option(help: "The container id (default: 64 random hex digits).")
    var id: String?

    @Option(help: "Write config.json into this bundle directory (creating volume directories) instead of printing it.")
    var bundle: String?

    @Option(name: .customLong("log-level"), help: "Log level on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: String = "warning"

    @OptionGroup var runOptions: RunOptions

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (replace the image's CMD).")
    var command: [String] = []

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        var logger = Logger(label: "berth.spec") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level

        let containerID = id ?? Self.randomID()
        let rootfsPath = Self.absolute(rootfs ?? bundle.map { $0 + "/rootfs" } ?? "rootfs")
        if !FileManager.default.fileExists(atPath: rootfsPath) {
            logger.warning(
                "rootfs not found: user names cannot be resolved, only numeric ids",
                metadata: ["rootfs": "\(rootfsPath)"]
            )
        }
        let config = try ImageSource.load(image)
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        let options = try runOptions.specOptions(containerID: containerID, command: arguments)
        let generator = try BundleGenerator.live()
        let spec = try generator.generate(image: config, rootfs: rootfsPath, options: options, logger: logger)

        if let bundle {
            let volumesRoot = options.volumesRoot ?? generator.defaults.container.volumesRoot
            try BundleWriter.createVolumeDirectories(for: spec, volumesRoot: volumesRoot)
            try BundleWriter.write(spec, bundle: Self.absolute(bundle), rootfs: rootfsPath)
        } else {
            StandardStreams.writeOutput(String(decoding: try BundleWriter.encode(spec), as: UTF8.self))
        }
    }

    /// 32 random bytes in hex, like Docker's container ids.
    static func randomID() -> String {
        (0..<4).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
