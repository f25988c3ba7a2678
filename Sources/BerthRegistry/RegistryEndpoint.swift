/// What an endpoint may be used for, as containerd's `HostCapabilities`.
///
/// `resolve` turns a tag into a digest (so a mirror with it must be trusted
/// not to lie about tags); `pull` fetches content by digest; `push` uploads.
public struct HostCapabilities: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Fetch manifests and blobs by digest.
    public static let pull = HostCapabilities(rawValue: 1 << 0)
    /// Resolve tags to digests.
    public static let resolve = HostCapabilities(rawValue: 1 << 1)
    /// Upload blobs and manifests.
    public static let push = HostCapabilities(rawValue: 1 << 2)
    /// Every capability; the default for a registry's own server.
    public static let all: HostCapabilities = [.pull, .resolve, .push]

    /// Parses a hosts.toml capability name (`pull`, `resolve`, `push`).
    public init?(name: String) {
        switch name.lowercased() {
        case "pull": self = .pull
        case "resolve": self = .resolve
        case "push": self = .push
        default: return nil
        }
    }

    public var description: String {
        var names: [String] = []
        if contains(.pull) { names.append("pull") }
        if contains(.resolve) { names.append("resolve") }
        if contains(.push) { names.append("push") }
        return "[" + names.joined(separator: ",") + "]"
    }
}

/// A client certificate and its key, as PEM file paths.
public struct ClientCertificate: Hashable, Sendable {
    /// The PEM certificate (chain) file.
    public var certificateFile: String
    /// The PEM private key file; `nil` when the key is in the certificate file.
    public var keyFile: String?

    public init(certificateFile: String, keyFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// One place to send requests for a registry: a mirror or the registry's own server.
///
/// `apiRoot` is the URL prefix the distribution API paths are appended to,
/// normally `scheme://host/v2` (`override_path` in hosts.toml keeps a custom path as is).
public struct RegistryEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// The authority, `host[:port]`.
    public var host: String
    /// The API root path, e.g. `/v2` or `/mirror/v2`, without a trailing slash.
    public var path: String
    /// What this endpoint may be used for.
    public var capabilities: HostCapabilities
    /// Skip TLS certificate verification (hosts.toml `skip_verify`).
    public var skipVerify: Bool
    /// Extra CA certificate PEM files trusted for this endpoint (hosts.toml `ca`).
    public var caFiles: [String]
    /// Client certificates presented to this endpoint (hosts.toml `client`).
    public var clientCertificates: [ClientCertificate]
    /// Extra request headers (hosts.toml `[header]`).
    public var headers: [String: [String]]
    /// True for a mirror, false for the registry's own server.
    public var isMirror: Bool

    public init(
        scheme: String = "https",
        host: String,
        path: String = "/v2",
        capabilities: HostCapabilities = .all,
        skipVerify: Bool = false,
        caFiles: [String] = [],
        clientCertificates: [ClientCertificate] = [],
        headers: [String: [String]] = [:],
        isMirror: Bool = false
    ) {
        self.scheme = scheme
        self.host = host
        self.path = path
        self.capabilities = capabilities
        self.skipVerify = skipVerify
        self.caFiles = caFiles
        self.clientCertificates = clientCertificates
        self.headers = headers
        self.isMirror = isMirror
    }

    /// `scheme://host/path`, the prefix for API paths such as `/<repo>/manifests/<ref>`.
    public var apiRoot: String { "\(scheme)://\(host)\(path)" }

    /// True for plain HTTP.
    public var isPlainHTTP: Bool { scheme == "http" }

    public var description: String { "\(apiRoot) \(capabilities)" }
}
