import BerthTestSupport
import Foundation
import Testing

/// The built `berth` generates completion scripts for bash, zsh and fish
/// that know every subcommand, and dumps the help that the man pages are
/// generated from (`make man`: swift-argument-parser's GenerateManual).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: CLIBinary.path), "berth not built"))
struct CLICompletionTests {
    static let subcommands = [
        "pull", "push", "images", "image", "namespace", "version", "system", "spec", "run", "create", "start",
        "stop", "kill", "rm", "ps", "exec", "logs", "inspect", "pause", "unpause", "top", "stats", "events",
    ]

    /// Runs `berth ARGS…` with stdin from /dev/null; status and stdout.
    static func berth(_ arguments: [String], in scratch: TemporaryDirectory) throws -> (Int32, String) {
        let process = try TestProcess(
            CLIBinary.path, arguments, stdout: scratch.path + "/out", stderr: scratch.path + "/err")
        guard let status = process.wait(timeout: .seconds(30)) else {
            process.terminate(grace: .seconds(2))
            throw FixtureError("berth \(arguments) timed out")
        }
        return (status, (try? String(contentsOfFile: scratch.path + "/out", encoding: .utf8)) ?? "")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptMentionsTheSubcommands(shell: String) throws {
        let scratch = try TemporaryDirectory(prefix: "berth-completion")
        defer { scratch.remove() }
        let (status, script) = try Self.berth(["--generate-completion-script", shell], in: scratch)
        #expect(status == 0)
        for command in Self.subcommands {
            #expect(script.contains(command), "\(shell) script lacks \(command)")
        }
        // Second-level commands too.
        for nested in ["prune", "info", "tag", "export", "import"] {
            #expect(script.contains(nested), "\(shell) script lacks \(nested)")
        }
    }

    /// bash parses the script, and completing `berth system ` offers prune.
    @Test func bashCompletesNestedSubcommands() throws {
        let scratch = try TemporaryDirectory(prefix: "berth-completion")
        defer { scratch.remove() }
        let (status, script) = try Self.berth(["--generate-completion-script", "bash"], in: scratch)
        #expect(status == 0)
        try script.write(toFile: scratch.path + "/berth.bash", atomically: true, encoding: .utf8)
        let probe = """
            source \(scratch.path)/berth.bash
            COMP_WORDS=(berth system ""); COMP_CWORD=2; COMP_LINE="berth system "; COMP_POINT=13
            _berth
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        try probe.write(toFile: scratch.path + "/probe.sh", atomically: true, encoding: .utf8)
        let bash = try TestProcess(
            "/bin/bash", [scratch.path + "/probe.sh"], stdout: scratch.path + "/reply", stderr: scratch.path + "/err")
        #expect(bash.wait(timeout: .seconds(30)) == 0)
        let reply = (try? String(contentsOfFile: scratch.path + "/reply", encoding: .utf8)) ?? ""
        let words = Set(reply.split(separator: "\n").map(String.init))
        #expect(words.isSuperset(of: ["info", "prune"]), "\(reply)")
    }

    /// The help dump GenerateManual reads is JSON naming every subcommand.
    @Test func helpDumpForManPages() throws {
        let scratch = try TemporaryDirectory(prefix: "berth-completion")
        defer { scratch.remove() }
        let (status, dump) = try Self.berth(["--experimental-dump-help"], in: scratch)
        #expect(status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any]
        let command = try #require(json?["command"] as? [String: Any])
        let names = Set(
            ((command["subcommands"] as? [[String: Any]]) ?? []).compactMap { $0["commandName"] as? String })
        #expect(names.isSuperset(of: Self.subcommands), "\(names.sorted())")
    }
}
