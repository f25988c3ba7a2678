/// Whether the kernel accepts a kind of BPF program.
public enum BPFSupport: Sendable, Equatable, CustomStringConvertible {
    /// The kernel loaded a trivial program of the type.
    case supported
    /// The kernel does not know the program type.
    case unsupported
    /// The probe itself failed (often for lack of privilege), so the answer is not known.
    case unknown(BPFError)

    /// `"supported"`, `"unsupported"` or `"unknown"`.
    public var name: String {
        switch self {
        case .supported: "supported"
        case .unsupported: "unsupported"
        case .unknown: "unknown"
        }
    }

    public var description: String {
        switch self {
        case .unknown(let error): "unknown (\(error.message))"
        default: name
        }
    }
}
