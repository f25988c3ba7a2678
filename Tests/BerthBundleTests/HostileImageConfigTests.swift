import BerthBundle
import BerthOCI
import Testing

/// Image configs come from registries: an unknown user, env entries without
/// `=` or without a name, and absurd values get a clear error or a
/// documented reading, never a crash or a spec that runc would reject later.
@Suite("hostile image configs")
struct HostileImageConfigTests {
    static func image(_ configure: (inout ImageConfig.Config) -> Void) -> ImageConfig {
        var config = ImageConfig.Config(cmd: ["/bin/sh"])
        configure(&config)
        return ImageConfig(architecture: "amd64", os: "linux", config: config)
    }

    static func expectError(
        _ image: ImageConfig, mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try Fixtures.generate(image: image)
            Issue.record("generated a spec for a hostile config", sourceLocation: sourceLocation)
        } catch let error as BundleError {
            #expect(error.message.contains(needle), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func anUnknownUserOrGroupIsAClearError() {
        Self.expectError(Self.image { $0.user = "ghost" }, mentioning: "ghost")
        Self.expectError(Self.image { $0.user = "root:ghosts" }, mentioning: "ghosts")
        Self.expectError(Self.image { $0.user = "99999999999999" }, mentioning: "99999999999999")
        Self.expectError(Self.image { $0.user = "0:-1" }, mentioning: "-1")
    }

    @Test func envEntriesWithoutAValueUnsetAndWithoutANameAreRefused() throws {
        // A bare KEY unsets KEY (containerd's reading); nothing without `=`
        // reaches the spec, where runc would refuse it at start.
        let spec = try Fixtures.generate(image: Self.image { $0.env = ["PATH=/bin", "LONELY", "A=1", "PATH"] })
        let env = spec.process?.env ?? []
        #expect(env.allSatisfy { $0.contains("=") }, "\(env)")
        #expect(env.contains("A=1"))
        #expect(!env.contains { $0.hasPrefix("LONELY") })
        Self.expectError(Self.image { $0.env = ["=value"] }, mentioning: "=value")
    }

    @Test func absurdValuesAreReadSafely() throws {
        // A relative WorkingDir, a nonsense StopSignal and exposed ports,
        // and a very long command line: generated without a crash, each as
        // documented (cwd made absolute or refused; annotations kept as text).
        let long = Array(repeating: "x", count: 50_000)
        let spec = try Fixtures.generate(
            image: Self.image {
                $0.cmd = ["/bin/echo"] + long
                $0.stopSignal = "SIGNOPE"
                $0.exposedPorts = ["not-a-port/xyz"]
                $0.labels = ["k": String(repeating: "v", count: 1 << 16)]
            })
        #expect(spec.process?.args?.count == 50_001)
        #expect(spec.process?.cwd.hasPrefix("/") == true)
        do {
            let relative = try Fixtures.generate(image: Self.image { $0.workingDir = "app" })
            #expect(relative.process?.cwd.hasPrefix("/") == true, "\(String(describing: relative.process?.cwd))")
        } catch let error as BundleError {
            #expect(error.message.contains("app"), "\(error.message)")
        }
        Self.expectError(
            Self.image {
                $0.cmd = nil
                $0.entrypoint = nil
            }, mentioning: "command")
        Self.expectError(
            ImageConfig(architecture: "amd64", os: "windows", config: ImageConfig.Config(cmd: ["x"])),
            mentioning: "windows"
        )
    }
}
