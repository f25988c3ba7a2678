internal import CLibbpf
import BerthErrors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What libbpf and the running kernel offer.
public enum BPF {
    /// The version of the libbpf loaded at run time, such as `"1.1"`.
    public static var libbpfVersion: String {
        "\(libbpf_major_version()).\(libbpf_minor_version())"
    }

    /// Whether the kernel accepts `BPF_PROG_TYPE_CGROUP_DEVICE` programs, which
    /// a cgroup v2 device controller needs, via `libbpf_probe_bpf_prog_type`.
    ///
    /// Loading the probe program needs CAP_BPF and CAP_NET_ADMIN, or
    /// CAP_SYS_ADMIN. libbpf reports a refusal for lack of privilege as "not
    /// supported", so without those capabilities a negative answer becomes
    /// `.unknown` with a `.permissionDenied` error.
    public static func probeCgroupDeviceSupport() -> BPFSupport {
        let result = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_DEVICE, nil)
        switch result {
        case 1:
            return .supported
        case 0:
            guard mayLoadCgroupDevicePrograms() else {
                return .unknown(
                    BPFError(
                        .permissionDenied,
                        "cannot probe BPF_PROG_TYPE_CGROUP_DEVICE: loading a program needs CAP_BPF and "
                            + "CAP_NET_ADMIN, or CAP_SYS_ADMIN"))
            }
            return .unsupported
        default:
            let errno = -result
            let message =
                "libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_DEVICE): "
                + "\(String(cString: strerror(errno))) (errno \(errno))"
            let code: ErrorCode = errno == EPERM || errno == EACCES ? .permissionDenied : .internal
            return .unknown(BPFError(code, message, errno: errno))
        }
    }
}
