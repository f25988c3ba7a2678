import BerthShimProto
import Foundation
import SwiftProtobuf
import Testing

/// Berth's own runtime options (`berth.shim.v1.Options`): the executor and
/// its extra global arguments reach the executor, and are saved for the
/// `delete` action.
@Suite(.serialized)
struct BerthOptionsTests {
    @Test func executorAndGlobalArgumentsComeFromBerthOptions() throws {
        let shim = try ShimBundle(arguments: ["sh", "-c", "exit 3"])
        defer { shim.cleanup() }
        let daemon = FakeEventsDaemon(path: shim.eventsAddress)
        try daemon.start()
        defer { daemon.stop() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        var options = Berth_Shim_V1_Options()
        options.executor = "/usr/sbin/runc"
        options.executorArgs = ["--debug"]
        _ = try shim.create(client, options: try Google_Protobuf_Any(containerdPacking: options))
        let log = try String(contentsOfFile: shim.bundle + "/log.json", encoding: .utf8)
        #expect(log.contains("\"level\":\"debug\""), "runc ran with --debug: \(log.prefix(300))")
        let saved = try String(contentsOfFile: shim.bundle + "/options.json", encoding: .utf8)
        #expect(saved.contains("executor_args") && saved.contains("--debug"), "\(saved)")
        _ = try shim.startTask(client)
        let waiter = try shim.client()
        defer { waiter.close() }
        let exit: Containerd_Task_V2_WaitResponse = try waiter.receive(try shim.sendWait(waiter), timeout: 30)
        #expect(exit.exitStatus == 3)
        #expect(try shim.delete(client).exitStatus == 3)
    }

    @Test func anUnknownOptionsTypeIsRefused() throws {
        let shim = try ShimBundle(arguments: ["true"])
        defer { shim.cleanup() }
        try shim.start()
        let client = try shim.client()
        defer { client.close() }
        var unknown = Google_Protobuf_Any()
        unknown.typeURL = "example.Options"
        #expect(throws: (any Error).self) { try shim.create(client, options: unknown) }
    }
}
