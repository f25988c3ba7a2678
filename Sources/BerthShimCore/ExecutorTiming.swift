import BerthSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How long the executor's own commands took, written for berthd to read
/// (docs/shim-protocol.md §3a): the shim appends `NAME=MICROSECONDS` lines
/// to `<bundle>/berth-phases` (`executor_create`, `executor_start`); berthd
/// reports them with Tasks.Create and Tasks.Start (`berth-phases`), which is
/// how `berth bench` tells the executor's time from the shim's and its own.
struct ExecutorTiming {
    static let fileName = "berth-phases"

    private let started = MonotonicClock.microseconds()

    /// Appends `name` with the time since this timing began. Failures are
    /// ignored: the numbers are only a report.
    func record(_ name: String, bundle: String) {
        let line = "\(name)=\(MonotonicClock.microseconds() - started)\n"
        let fd = open(FileSystem.join(bundle, Self.fileName), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = Array(line.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

}
