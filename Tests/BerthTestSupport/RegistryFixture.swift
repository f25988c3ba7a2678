import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `docker-registry` (Debian's distribution 2.8) on 127.0.0.1 and a
/// free port, with its own temporary storage. Started by `start`, stopped by
/// PID in `stop()` (SIGTERM, then SIGKILL after a grace period).
public final class RegistryFixture: @unchecked Sendable {
    /// How the registry authenticates clients.
    public enum Auth: Sendable {
        case none
        /// htpasswd file with bcrypt entries.
        case htpasswd(path: String)
        /// Token auth: clients fetch bearer tokens from `realm`; tokens must be
        /// signed by the key of the certificate in `rootCertBundle`.
        case token(realm: String, service: String, issuer: String, rootCertBundle: String)
    }

    /// The binary the Debian package installs.
    public static let binary = "/usr/bin/docker-registry"

    /// `127.0.0.1:<port>`.
    public let host: String
    public let port: Int
    /// The registry's temporary directory: `config.yml`, `storage/`, `registry.log`.
    public let directory: TemporaryDirectory
    private let process: TestProcess

    /// True if the registry binary is installed.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: binary)
    }

    /// The storage root (`<dir>/storage`), laid out as distribution's filesystem driver does.
    public var storagePath: String { directory.path + "/storage" }

    private init(host: String, port: Int, directory: TemporaryDirectory, process: TestProcess) {
        self.host = host
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts a registry and waits (at most `timeout`) until `/v2/` answers.
    public static func start(auth: Auth = .none, timeout: Duration = .seconds(15)) async throws -> RegistryFixture {
        let directory = try TemporaryDirectory(prefix: "berth-registry")
        do {
            let port = try freePort()
            var config = """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: \(directory.path)/storage
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:\(port)
                  secret: berth-test-secret

                """
            switch auth {
            case .none:
                break
            case .htpasswd(let path):
                config += """
                    auth:
                      htpasswd:
                        realm: berth-test
                        path: \(path)

                    """
            case .token(let realm, let service, let issuer, let bundle):
                config += """
                    auth:
                      token:
                        realm: \(realm)
                        service: \(service)
                        issuer: \(issuer)
                        rootcertbundle: \(bundle)

                    """
            }
            let configPath = directory.path + "/config.yml"
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            let logPath = directory.path + "/registry.log"
            let process = try TestProcess(binary, ["serve", configPath], stdout: logPath, stderr: logPath)
            let fixture = RegistryFixture(
                host: "127.0.0.1:\(port)", port: port, directory: directory, process: process)
            do {
                try await fixture.waitUntilReady(timeout: timeout)
            } catch {
                fixture.stop()
                throw error
            }
            return fixture
        } catch {
            directory.remove()
            throw error
        }
    }

    /// The registry's log so far (for failure messages).
    public var log: String {
        (try? String(contentsOfFile: directory.path + "/registry.log", encoding: .utf8)) ?? ""
    }

    /// Stops the registry by PID and removes its directory.
    public func stop() {
        process.terminate()
        directory.remove()
    }

    private func waitUntilReady(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard process.isRunning else {
                throw FixtureError("docker-registry exited early: \(log)")
            }
            if let status = Self.httpStatus(port: port, path: "/v2/"), status == 200 || status == 401 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("docker-registry did not answer on \(host) within \(timeout): \(log)")
    }

    /// Sends `GET path` to 127.0.0.1:port and returns the status code, or nil.
    public static func httpStatus(port: Int, path: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 12 else { return nil }
        let line = String(decoding: buffer[..<count], as: UTF8.self)
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) : nil
    }

    /// A port that was free a moment ago on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw FixtureError("bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw FixtureError("getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return address
    }
}

/// A test fixture failed to set up.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
