import ArgumentParser
import BerthSystem

// main.swift is top-level code once the target has more than one file, so
// `@main` is not allowed here; the entry point is the call at the bottom.
struct Berth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "Run and manage containers with Berth.",
        version: BerthBuild.version,
        subcommands: [
            PullCommand.self, PushCommand.self, ImagesCommand.self, ImageCommand.self, NamespaceCommand.self,
            VersionCommand.self,
            SystemCommand.self, SpecCommand.self,
            RunCommand.self, CreateCommand.self, StartCommand.self, StopCommand.self, KillCommand.self,
            RemoveCommand.self, PsCommand.self, ExecCommand.self, LogsCommand.self, InspectCommand.self,
            PauseCommand.self, UnpauseCommand.self, TopCommand.self, StatsCommand.self, EventsCommand.self,
            BenchCommand.self,
        ]
    )
}

// In top-level code `await Berth.main()` resolves to the synchronous
// overload, which cannot run async subcommands; `start()` is an async
// function, where the async overload wins.
extension Berth {
    static func start() async {
        await main()
    }
}

await Berth.start()
