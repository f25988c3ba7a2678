import Foundation

/// Where requests for each registry go: plain-HTTP hosts and a containerd-style
/// hosts directory.
///
/// For a registry host `H`, `endpoints(for:)` looks in the hosts directory for
/// `H_port_/hosts.toml` (when `H` has a port), then `H/hosts.toml`, then
/// `_default/hosts.toml`, as containerd 1.6 does. The mirrors listed there come
/// first, in file order, then the server. Without a hosts file the registry's
/// own server is the only endpoint: `https://H/v2` (`https://registry-1.docker.io/v2`
/// for `docker.io`), or `http://` when `H` is in `plainHTTP` (as `ctr --plain-http`).
public struct RegistryHosts: Sendable {
    /// Hosts (`host[:port]`) reached over plain HTTP when no hosts file says otherwise.
    public var plainHTTP: Set<String>
    /// A directory holding `<host>/hosts.toml` files, like `/etc/containerd/certs.d`.
    public var hostsDirectory: String?

    public init(plainHTTP: Set<String> = [], hostsDirectory: String? = nil) {
        self.plainHTTP = plainHTTP
        self.hostsDirectory = hostsDirectory
    }

    /// The endpoints to try for `host`, mirrors first, then the server.
    ///
    /// - Throws: `RegistryError(.invalidArgument)` for an unreadable or invalid hosts file.
    public func endpoints(for host: String) throws -> [RegistryEndpoint] {
        let defaultServer = defaultServer(for: host)
        guard let directory = hostsDirectory else { return [defaultServer] }
        for candidate in Self.hostDirectories(for: host) {
            let hostDir = (directory as NSString).appendingPathComponent(candidate)
            let file = (hostDir as NSString).appendingPathComponent("hosts.toml")
            if FileManager.default.fileExists(atPath: file) {
                let text: String
                do {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                } catch {
                    throw RegistryError.invalid("cannot read \(file): \(error)")
                }
                return try HostsFile.parse(text, path: file, defaultServer: defaultServer)
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: hostDir, isDirectory: &isDirectory), isDirectory.boolValue,
                candidate != "_default"
            {
                return [Self.withCertificateFiles(defaultServer, directory: hostDir)]
            }
        }
        return [defaultServer]
    }

    /// The registry's own server with no hosts file: https (or http if configured).
    public func defaultServer(for host: String) -> RegistryEndpoint {
        let scheme = plainHTTP.contains(host) ? "http" : "https"
        let serverHost = host == ImageReference.defaultDomain ? "registry-1.docker.io" : host
        return RegistryEndpoint(scheme: scheme, host: serverHost)
    }

    /// containerd's search order: `host_port_` (for a host with a port), `host`, `_default`.
    static func hostDirectories(for host: String) -> [String] {
        var out: [String] = []
        if let colon = host.lastIndex(of: ":"), colon != host.startIndex, !host.hasSuffix("]") {
            out.append(host[..<colon] + "_" + host[host.index(after: colon)...] + "_")
        }
        out.append(host)
        out.append("_default")
        return out
    }

    /// A host directory without hosts.toml: `*.crt` are CAs, `*.cert` + `*.key` client pairs
    /// (the legacy Docker `certs.d` layout containerd also reads).
    static func withCertificateFiles(_ endpoint: RegistryEndpoint, directory: String) -> RegistryEndpoint {
        var endpoint = endpoint
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasSuffix(".crt") {
                endpoint.caFiles.append(path)
            } else if name.hasSuffix(".cert") {
                let key = String(path.dropLast(".cert".count)) + ".key"
                if FileManager.default.fileExists(atPath: key) {
                    endpoint.clientCertificates.append(ClientCertificate(certificateFile: path, keyFile: key))
                }
            }
        }
        return endpoint
    }
}
