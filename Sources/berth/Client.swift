import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// Where berthd listens and which namespace to work in: the options every
/// command that talks to the daemon takes.
struct ClientOptions: ParsableArguments {
    /// berthd's default gRPC socket.
    static let defaultAddress = "/run/berth/berth.sock"
    /// The namespace used when none is given.
    static let defaultNamespace = "default"

    @Option(name: .long, help: "berthd's socket (default: $BERTH_ADDRESS or \(defaultAddress)).")
    var address: String?

    @Option(
        name: [.customShort("n"), .long],
        help: "The namespace (default: $BERTH_NAMESPACE or \(defaultNamespace)).")
    var namespace: String?

    /// The socket path: the option, then `BERTH_ADDRESS`, then the default.
    var resolvedAddress: String {
        address ?? Self.environment("BERTH_ADDRESS") ?? Self.defaultAddress
    }

    /// The namespace: the option, then `BERTH_NAMESPACE`, then `default`.
    var resolvedNamespace: String {
        namespace ?? Self.environment("BERTH_NAMESPACE") ?? Self.defaultNamespace
    }

    /// A client for these options.
    var client: DaemonClient {
        DaemonClient(address: resolvedAddress, namespace: resolvedNamespace)
    }

    static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// A connection to berthd's gRPC API over its unix socket. Every call
/// carries the namespace in the `containerd-namespace` header.
struct DaemonClient: Sendable {
    /// The metadata key containerd services read the namespace from.
    static let namespaceKey = "containerd-namespace"

    let address: String
    let namespace: String

    /// Request metadata naming the namespace.
    var metadata: Metadata {
        var metadata = Metadata()
        metadata.addString(namespace, forKey: Self.namespaceKey)
        return metadata
    }

    /// Connects, runs `body` with the client, and disconnects. Errors from
    /// the daemon or the connection become a `CLIError.daemon`.
    func run<Result: Sendable>(
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        do {
            let transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: address), transportSecurity: .plaintext)
            return try await withGRPCClient(transport: transport, handleClient: body)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.daemon(error, address: address)
        }
    }
}
