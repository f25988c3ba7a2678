import ArgumentParser
import BerthSystem

// main.swift is top-level code once the target has more than one file, so
// `@main` is not allowed here; the entry point is the call at the bottom.
struct Berth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Run and manage containers with Berth.",
        version: BerthBuild.version,
        subcommands: [SystemCommand.self, SpecCommand.self]
    )
}

Berth.main()
