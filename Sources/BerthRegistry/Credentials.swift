/// A user name and secret for one registry host.
///
/// An empty `username` with a non-empty `secret` is an identity (refresh)
/// token, sent to OAuth2 token servers as `refresh_token`, as containerd does.
public struct RegistryCredentials: Hashable, Sendable, CustomStringConvertible {
    public var username: String
    public var secret: String

    public init(username: String, secret: String) {
        self.username = username
        self.secret = secret
    }

    /// Never prints the secret.
    public var description: String { "RegistryCredentials(username: \"\(username)\", secret: <redacted>)" }
}

/// Supplies credentials for a registry host (`host[:port]`, e.g. `docker.io`,
/// `127.0.0.1:5000`); `nil` means anonymous.
///
/// The host asked for is the registry's (the reference's domain) for its own
/// server and the mirror's host for a mirror.
public protocol CredentialsProvider: Sendable {
    func credentials(for host: String) async throws -> RegistryCredentials?
}

/// Credentials from a fixed map of host to credentials.
public struct StaticCredentials: CredentialsProvider {
    public var byHost: [String: RegistryCredentials]

    public init(_ byHost: [String: RegistryCredentials] = [:]) {
        self.byHost = byHost
    }

    public func credentials(for host: String) async throws -> RegistryCredentials? {
        if let found = byHost[host] { return found }
        // docker.io credentials are commonly stored under the index host names.
        if host == "registry-1.docker.io" || host == "index.docker.io" {
            return byHost[ImageReference.defaultDomain]
        }
        return nil
    }
}
