import BerthAPI
import BerthTestSupport
import Foundation
import GRPCCore
import Testing

/// berthd's `[limits]`: a layer that expands beyond `max_layer_bytes`, or a
/// manifest over `max_manifest_size`, fails the pull with a clear error
/// naming it, and leaves no image, lease, content or snapshot.
@Suite(.enabled(if: PullFixture.unavailableReason == nil, "berthd, ctr, docker-registry or skopeo unavailable"))
struct DaemonPullLimitTests {
    static func start(limits: String) async throws -> PullFixture {
        let daemon = try DaemonHarness()
        do {
            let config = daemon.directory.path + "/config.toml"
            try "version = 2\n\n[limits]\n\(limits)\n".write(toFile: config, atomically: true, encoding: .utf8)
            try daemon.start(extra: ["--config", config])
            return PullFixture(daemon: daemon, registry: try await RegistryFixture.start())
        } catch {
            daemon.cleanup()
            throw error
        }
    }

    static func expectNothingLeft(_ daemon: DaemonHarness, namespace: String) throws {
        #expect(try daemon.ctr(["images", "ls", "-q"], namespace: namespace).stdout.isEmpty)
        #expect(try daemon.ctr(["leases", "ls", "-q"], namespace: namespace).stdout.isEmpty)
        let snapshots = try daemon.ctr(["snapshots", "ls"], namespace: namespace).stdout
        #expect(snapshots.split(separator: "\n").count <= 1, "\(snapshots)")
        // The failed pull's lease is dropped and collected: no blob stays.
        let content = try daemon.ctr(["content", "ls", "-q"], namespace: namespace).stdout
        #expect(content.isEmpty, "\(content)")
    }

    @Test func aLayerOverTheConfiguredSizeFailsThePull() async throws {
        let fixture = try await Self.start(limits: "max_layer_bytes = 65536")
        defer { fixture.stop() }
        let reference = try fixture.pushBusybox(as: "berth/busybox:latest")
        let error = await #expect(throws: RPCError.self) { try await fixture.pull(reference, namespace: "limits") }
        #expect(error?.code == .resourceExhausted, "\(String(describing: error))")
        #expect(error?.message.contains("sha256:") == true, "\(String(describing: error))")
        #expect(error?.message.contains("65536") == true, "\(String(describing: error))")
        try Self.expectNothingLeft(fixture.daemon, namespace: "limits")
    }

    @Test func aManifestOverTheConfiguredSizeFailsThePull() async throws {
        let fixture = try await Self.start(limits: "max_manifest_size = 64")
        defer { fixture.stop() }
        let reference = try fixture.pushBusybox(as: "berth/busybox:latest")
        let error = await #expect(throws: RPCError.self) { try await fixture.pull(reference, namespace: "limits") }
        #expect(error?.code == .resourceExhausted, "\(String(describing: error))")
        #expect(error?.message.contains("64-byte limit") == true, "\(String(describing: error))")
        try Self.expectNothingLeft(fixture.daemon, namespace: "limits")
    }

    @Test func aNonPositiveLimitIsRefusedAtStart() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanup() }
        let config = daemon.directory.path + "/config.toml"
        try "version = 2\n[limits]\nmax_layer_bytes = 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try daemon.start(extra: ["--config", config]) }
        #expect(daemon.log().contains("limits.max_layer_bytes must be positive"), "\(daemon.log())")
    }
}
