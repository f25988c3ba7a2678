import ArgumentParser
import BerthDaemon
import BerthSystem
import Foundation
import Logging

@main
struct Berthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthd",
        abstract: "The Berth supervisor daemon (containerd 1.6 v1 API on a unix socket).",
        version: BerthBuild.version,
        subcommands: [Serve.self, ConfigCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every way of loading the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .long],
        help: "Path to the TOML configuration file (default: \(DaemonConfig.defaultPath) if it exists).")
    var config: String?

    @Option(help: "Persistent data directory (overrides the config's root).")
    var root: String?

    @Option(help: "Volatile state directory (overrides the config's state).")
    var state: String?

    @Option(name: [.short, .long], help: "gRPC socket path (overrides [grpc] address).")
    var address: String?

    /// The defaults, the file's settings over them, then the flags.
    func load() throws -> DaemonConfig {
        var loaded = DaemonConfig.defaults
        let path =
            config
            ?? (FileManager.default.fileExists(atPath: DaemonConfig.defaultPath) ? DaemonConfig.defaultPath : nil)
        if let config = path {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read config \(config): \(error.localizedDescription)")
            }
            loaded = try DaemonConfig(toml: text)
        }
        loaded.override(root: root, state: state, address: address)
        return loaded
    }
}

extension Berthd {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve", abstract: "Run the daemon (the default).")

        @OptionGroup var options: ConfigOptions

        @Option(help: "Log format: text or json.")
        var logFormat: String = "text"

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func run() async throws {
            guard let format = LogFormat(rawValue: logFormat) else {
                throw ValidationError("--log-format must be text or json")
            }
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("unknown --log-level \(logLevel)")
            }
            LoggingSystem.bootstrap { LineLogHandler(label: $0, format: format, level: level) }
            let logger = Logger(label: "berthd")
            let config = try options.load()
            logger.info("starting", metadata: ["version": "\(BerthBuild.version)"])
            do {
                try await Daemon(config: config, logger: logger).run()
            } catch let error as DaemonError {
                logger.critical("\(error.message)")
                throw ExitCode.failure
            }
        }
    }

    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config", abstract: "Show the configuration.",
            subcommands: [Default.self, Dump.self])

        struct Default: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the embedded defaults as TOML.")

            func run() {
                print(DaemonConfig.defaults.toml, terminator: "")
            }
        }

        struct Dump: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the effective configuration (file and flags applied).")

            @OptionGroup var options: ConfigOptions

            func run() throws {
                print(try options.load().toml, terminator: "")
            }
        }
    }
}
