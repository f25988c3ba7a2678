import ArgumentParser
import BerthHost
import Logging

/// `berth system …`: facts about the host Berth runs on.
struct SystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Inspect the host Berth runs on; prune unused data.",
        subcommands: [Info.self, Prune.self]
    )

    /// `berth system info [--format json]`.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show host, executor and kernel-feature information, for bug reports."
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text
            case json
        }

        @Option(help: "Output format: text or json.")
        var format: Format = .text

        func run() throws {
            var logger = Logger(label: "berth.system.info")
            logger.logLevel = .warning
            let info = SystemInfo.gather(logger: logger)
            switch format {
            case .text: print(info.renderText(), terminator: "")
            case .json: print(try info.renderJSON(), terminator: "")
            }
        }
    }
}
