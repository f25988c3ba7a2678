import Foundation
import TOMLKit

/// Parser for containerd's `hosts.toml` (the `config_path` hosts directory format).
///
/// ```toml
/// server = "https://registry.example.com"
///
/// [host."https://mirror.example.com"]
///   capabilities = ["pull", "resolve"]
///   ca = "/etc/certs/mirror.pem"
///   skip_verify = false
///   override_path = false
///   [host."https://mirror.example.com".header]
///     x-custom = "value"
/// ```
///
/// Top-level `capabilities`, `ca`, `client`, `skip_verify`, `override_path` and
/// `header` apply to the server. Mirrors are returned in file order, then the server.
/// Relative `ca` and `client` paths are resolved against the file's directory.
enum HostsFile {
    static func parse(_ text: String, path: String, defaultServer: RegistryEndpoint) throws -> [RegistryEndpoint] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RegistryError.invalid("\(path): invalid TOML: \(error.debugDescription)")
        } catch {
            throw RegistryError.invalid("\(path): invalid TOML: \(error)")
        }
        let baseDirectory = (path as NSString).deletingLastPathComponent
        var endpoints: [RegistryEndpoint] = []

        if let hosts = table["host"] {
            guard let hostTable = hosts.table else {
                throw RegistryError.invalid("\(path): \"host\" must be a table of [host.\"URL\"] entries")
            }
            let keys = hostTable.keys.sorted { position(of: $0, in: text) < position(of: $1, in: text) }
            for key in keys {
                guard let entry = hostTable[key]?.table else {
                    throw RegistryError.invalid("\(path): [host.\"\(key)\"] must be a table")
                }
                var endpoint = try endpointBase(url: key, context: "\(path): [host.\"\(key)\"]", entry: entry)
                endpoint.isMirror = true
                try apply(entry, to: &endpoint, context: "\(path): [host.\"\(key)\"]", base: baseDirectory)
                endpoints.append(endpoint)
            }
        }

        var server = defaultServer
        if let serverValue = table["server"] {
            guard let url = serverValue.string else {
                throw RegistryError.invalid("\(path): \"server\" must be a string")
            }
            server = try endpointBase(url: url, context: "\(path): server", entry: table)
        }
        try apply(table, to: &server, context: path, base: baseDirectory)
        server.isMirror = false
        endpoints.append(server)
        return endpoints
    }

    /// Splits `scheme://host[:port][/path]` into an endpoint with the API root path.
    private static func endpointBase(url: String, context: String, entry: TOMLTable) throws -> RegistryEndpoint {
        var rest = Substring(url)
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        guard scheme == "http" || scheme == "https" else {
            throw RegistryError.invalid("\(context): unsupported URL scheme \"\(scheme)\" in \"\(url)\"")
        }
        let host: Substring
        var urlPath = ""
        if let slash = rest.firstIndex(of: "/") {
            host = rest[..<slash]
            urlPath = String(rest[slash...])
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains("@"), !host.contains("?"), !host.contains("#") else {
            throw RegistryError.invalid("\(context): invalid host in URL \"\(url)\"")
        }
        while urlPath.hasSuffix("/") { urlPath.removeLast() }
        let overridePath = try bool(entry, "override_path", context: context) ?? false
        if !overridePath {
            urlPath = urlPath.hasSuffix("/v2") ? urlPath : urlPath + "/v2"
        }
        return RegistryEndpoint(scheme: scheme, host: String(host), path: urlPath)
    }

    private static func apply(
        _ entry: TOMLTable, to endpoint: inout RegistryEndpoint, context: String, base: String
    ) throws {
        if let value = entry["capabilities"] {
            guard let array = value.array else {
                throw RegistryError.invalid("\(context): capabilities must be an array of strings")
            }
            var capabilities: HostCapabilities = []
            for item in array {
                guard let name = item.string, let capability = HostCapabilities(name: name) else {
                    throw RegistryError.invalid(
                        "\(context): unknown capability \(item.debugDescription) (known: pull, resolve, push)")
                }
                capabilities.insert(capability)
            }
            endpoint.capabilities = capabilities
        }
        if let skip = try bool(entry, "skip_verify", context: context) {
            endpoint.skipVerify = skip
        }
        if let value = entry["ca"] {
            endpoint.caFiles = try strings(value, context: "\(context): ca").map { resolve($0, base: base) }
        }
        if let value = entry["client"] {
            endpoint.clientCertificates = try clientCertificates(value, context: "\(context): client", base: base)
        }
        if let value = entry["header"] {
            guard let headerTable = value.table else {
                throw RegistryError.invalid("\(context): header must be a table")
            }
            var headers: [String: [String]] = [:]
            for key in headerTable.keys {
                guard let headerValue = headerTable[key] else { continue }
                headers[key] = try strings(headerValue, context: "\(context): header \"\(key)\"")
            }
            endpoint.headers = headers
        }
    }

    private static func bool(_ entry: TOMLTable, _ key: String, context: String) throws -> Bool? {
        guard let value = entry[key] else { return nil }
        guard let bool = value.bool else {
            throw RegistryError.invalid("\(context): \(key) must be true or false")
        }
        return bool
    }

    /// A string or an array of strings.
    private static func strings(_ value: any TOMLValueConvertible, context: String) throws -> [String] {
        if let string = value.string { return [string] }
        if let array = value.array {
            return try array.map { item in
                guard let string = item.string else {
                    throw RegistryError.invalid("\(context) must be a string or an array of strings")
                }
                return string
            }
        }
        throw RegistryError.invalid("\(context) must be a string or an array of strings")
    }

    /// `"cert.pem"`, `["cert.pem", "key.pem"]` or `[["cert.pem", "key.pem"], …]`.
    private static func clientCertificates(
        _ value: any TOMLValueConvertible, context: String, base: String
    ) throws -> [ClientCertificate] {
        if let string = value.string {
            return [ClientCertificate(certificateFile: resolve(string, base: base))]
        }
        guard let array = value.array else {
            throw RegistryError.invalid("\(context) must be a path, a [cert, key] pair or a list of pairs")
        }
        if array.allSatisfy({ $0.string != nil }) {
            let paths = try strings(value, context: context).map { resolve($0, base: base) }
            guard let certificate = paths.first, paths.count <= 2 else {
                throw RegistryError.invalid("\(context) pair must be [cert, key]")
            }
            return [ClientCertificate(certificateFile: certificate, keyFile: paths.dropFirst().first)]
        }
        return try array.flatMap { try clientCertificates($0, context: context, base: base) }
    }

    private static func resolve(_ file: String, base: String) -> String {
        file.hasPrefix("/") ? file : (base as NSString).appendingPathComponent(file)
    }

    /// Where `[host."KEY"]` first appears, to keep mirrors in file order
    /// (the TOML table itself is sorted by key).
    private static func position(of key: String, in text: String) -> Int {
        for quote in ["\"", "'"] {
            if let range = text.range(of: "host.\(quote)\(key)\(quote)") {
                return text.distance(from: text.startIndex, to: range.lowerBound)
            }
        }
        if let range = text.range(of: key) {
            return text.distance(from: text.startIndex, to: range.lowerBound)
        }
        return Int.max
    }
}
