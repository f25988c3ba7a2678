import BerthErrors
import BerthOCI
import GRPCCore

extension Metadata {
    /// The gRPC metadata key carrying the containerd namespace.
    public static let namespaceKey = "containerd-namespace"
    /// The gRPC metadata key carrying the lease a call is made under.
    public static let leaseKey = "containerd-lease"

    /// The namespace of the call, validated, as namespaced services need it.
    ///
    /// - Throws: FailedPrecondition "namespace is required" if absent or
    ///   empty (as containerd's `namespaces.NamespaceRequired`);
    ///   InvalidArgument if it is not a valid identifier.
    public func requiredNamespace() throws(DaemonError) -> String {
        guard let namespace = self[stringValues: Self.namespaceKey].first(where: { _ in true }), !namespace.isEmpty
        else {
            throw .failedPrecondition("namespace is required")
        }
        guard Identifier.isValid(namespace) else {
            throw .invalidArgument("namespace \(namespace): invalid identifier")
        }
        return namespace
    }

    /// The namespace of the call if one was sent.
    public var namespace: String? {
        self[stringValues: Self.namespaceKey].first { !$0.isEmpty }
    }

    /// The lease of the call, if any.
    public var lease: String? {
        self[stringValues: Self.leaseKey].first { !$0.isEmpty }
    }
}
