// berth-shim: the per-container shim (installed as containerd-shim-berth-v2).
//
// Hand-parsed argv and no Foundation: this binary runs once per container
// and its memory is budgeted. Everything lives in BerthShimCore.
import BerthShimCore

#if canImport(Glibc)
    import Glibc
#endif

var environment: [String] = []
var entry = environ
while let pointer = entry.pointee {
    environment.append(String(cString: pointer))
    entry += 1
}
exit(Shim.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment))
