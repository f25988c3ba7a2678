import CBerthFuzz

#if canImport(Glibc)
    import Glibc
#endif

// libFuzzer parses its own flags (-max_total_time, -runs, corpus dirs) and
// calls LLVMFuzzerTestOneInput (Fuzz.swift) on every input.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in LLVMFuzzerTestOneInput(data, size) })
