import ArgumentParser
import BerthSystem

@main
struct Berthd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berthd",
        abstract: "The Berth supervisor daemon.",
        version: BerthBuild.version
    )

    func run() throws {
        throw ValidationError("berthd serves no API yet in this build")
    }
}
