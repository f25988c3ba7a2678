public import BerthOCI
public import Logging

/// The facts about the host the generator depends on.
///
/// ``LiveHost`` reads them from the running system; tests and golden fixtures
/// use a fixed description so the generated `config.json` does not depend on
/// the machine that runs them.
public protocol BundleHost: Sendable {
    /// The native seccomp architecture (`SCMP_ARCH_X86_64`), or nil when unknown.
    var seccompArchitecture: String? { get }
    /// The running kernel, for seccomp `minKernel` conditions; nil when unknown.
    var kernelVersion: KernelVersion? { get }
    /// What `--privileged` and `--cap-add ALL` grant: every capability the
    /// running kernel supports that this process can pass on.
    var privilegedCapabilities: [String] { get }
    /// The host's name, used for `--net host` and `--uts host`.
    var hostname: String { get }
    /// `names` without the system calls this host's libseccomp does not know,
    /// each dropped with a warning.
    func knownSyscalls(_ names: [String], logger: Logger) -> [String]
    /// The device node at `path` on the host (for `--device`).
    func device(atPath path: String) throws(BundleError) -> Spec.Linux.Device
    /// Every device node under the host's `/dev` (for `--privileged`).
    func allDevices() -> [Spec.Linux.Device]
}
