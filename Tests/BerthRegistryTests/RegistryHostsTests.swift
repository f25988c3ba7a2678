import BerthErrors
import BerthTestSupport
import Foundation
import Testing

@testable import BerthRegistry

@Suite("Registry hosts and hosts.toml")
struct RegistryHostsTests {
    private func withHostsDir(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let dir = try TemporaryDirectory(prefix: "berth-hosts")
        defer { dir.remove() }
        for (path, text) in files {
            let full = dir.path + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        try body(dir.path)
    }

    @Test("without a hosts file: https, docker.io's server, plain HTTP when configured")
    func defaults() throws {
        let hosts = RegistryHosts(plainHTTP: ["127.0.0.1:5000"])
        #expect(try hosts.endpoints(for: "docker.io").map(\.apiRoot) == ["https://registry-1.docker.io/v2"])
        #expect(try hosts.endpoints(for: "quay.io").map(\.apiRoot) == ["https://quay.io/v2"])
        #expect(try hosts.endpoints(for: "127.0.0.1:5000").map(\.apiRoot) == ["http://127.0.0.1:5000/v2"])
        #expect(try hosts.endpoints(for: "docker.io").first?.capabilities == .all)
    }

    @Test("mirrors in file order, then the server, with every field")
    func fullFile() throws {
        let toml = """
            server = "https://registry.example.com"
            capabilities = ["pull", "resolve", "push"]
            skip_verify = true

            [header]
              x-server = "s"

            [host."https://zeta-mirror.example.com"]
              capabilities = ["pull"]
              ca = "certs/zeta.pem"
              client = [["client.cert", "client.key"]]
              [host."https://zeta-mirror.example.com".header]
                x-custom = ["a", "b"]

            [host."http://alpha-mirror.example.com:8080/proxy"]
              capabilities = ["pull", "resolve"]
              skip_verify = true

            [host."https://override.example.com/custom/api"]
              override_path = true
            """
        try withHostsDir(["example.com/hosts.toml": toml]) { dir throws in
            let endpoints = try RegistryHosts(hostsDirectory: dir).endpoints(for: "example.com")
            #expect(
                endpoints.map(\.apiRoot) == [
                    "https://zeta-mirror.example.com/v2", "http://alpha-mirror.example.com:8080/proxy/v2",
                    "https://override.example.com/custom/api", "https://registry.example.com/v2",
                ])
            #expect(endpoints.map(\.isMirror) == [true, true, true, false])
            #expect(endpoints[0].capabilities == .pull)
            #expect(endpoints[0].caFiles == [dir + "/example.com/certs/zeta.pem"])
            #expect(
                endpoints[0].clientCertificates == [
                    ClientCertificate(
                        certificateFile: dir + "/example.com/client.cert", keyFile: dir + "/example.com/client.key")
                ])
            #expect(endpoints[0].headers == ["x-custom": ["a", "b"]])
            #expect(endpoints[1].capabilities == [.pull, .resolve])
            #expect(endpoints[1].skipVerify)
            #expect(endpoints[2].capabilities == .all)
            #expect(endpoints[3].skipVerify)
            #expect(endpoints[3].headers == ["x-server": ["s"]])
        }
    }

    @Test("search order: host_port_, host, _default")
    func searchOrder() throws {
        try withHostsDir([
            "reg.test_5000_/hosts.toml": #"server = "http://first.test:1""#,
            "reg.test:5000/hosts.toml": #"server = "http://second.test:2""#,
            "_default/hosts.toml": #"server = "http://fallback.test:3""#,
        ]) { dir throws in
            let hosts = RegistryHosts(hostsDirectory: dir)
            #expect(try hosts.endpoints(for: "reg.test:5000").map(\.apiRoot) == ["http://first.test:1/v2"])
            #expect(try hosts.endpoints(for: "other.test").map(\.apiRoot) == ["http://fallback.test:3/v2"])
        }
        try withHostsDir(["reg.test:5000/hosts.toml": #"server = "http://second.test:2""#]) { dir throws in
            let hosts = RegistryHosts(hostsDirectory: dir)
            #expect(try hosts.endpoints(for: "reg.test:5000").map(\.apiRoot) == ["http://second.test:2/v2"])
            #expect(try hosts.endpoints(for: "other.test").map(\.apiRoot) == ["https://other.test/v2"])
        }
    }

    @Test("a host directory without hosts.toml contributes certificates (certs.d layout)")
    func certsDirectory() throws {
        try withHostsDir(["reg.test/ca.crt": "x", "reg.test/client.cert": "x", "reg.test/client.key": "x"]) {
            dir throws in
            let endpoint = try #require(try RegistryHosts(hostsDirectory: dir).endpoints(for: "reg.test").first)
            #expect(endpoint.caFiles == [dir + "/reg.test/ca.crt"])
            #expect(endpoint.clientCertificates.map(\.keyFile) == [dir + "/reg.test/client.key"])
        }
    }

    @Test(
        "invalid files give clear errors",
        arguments: [
            ("capabilities = [\"fly\"]", "unknown capability"),
            ("server = 1", "server"),
            ("server = \"ftp://x\"", "scheme"),
            ("skip_verify = \"yes\"", "skip_verify"),
            ("[host.\"https://m\"]\nca = 5", "ca"),
            ("this is not toml", "invalid TOML"),
        ])
    func invalid(text: String, fragment: String) throws {
        try withHostsDir(["reg.test/hosts.toml": text]) { dir throws in
            #expect {
                _ = try RegistryHosts(hostsDirectory: dir).endpoints(for: "reg.test")
            } throws: { error in
                guard let error = error as? RegistryError else { return false }
                return error.code == .invalidArgument && error.message.contains(fragment)
            }
        }
    }
}
