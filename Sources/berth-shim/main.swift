// berth-shim: the per-container shim (installed as containerd-shim-berth-v2).
//
// Hand-parsed argv and no Foundation: this binary runs once per container
// and its memory is budgeted.
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.contains("-v") || arguments.contains("--version") {
    print("containerd-shim-berth-v2:")
    print("  Version:  \(BerthBuild.version)")
    print("  Revision: berth")
    print("  Go version: none (Swift)")
    exit(0)
}

let message = "berth-shim: no shim v2 subcommand given (usage: berth-shim [-v] start|delete -namespace NS -id ID -address ADDR)\n"
StandardStreams.writeError(message)
exit(2)
