import BerthShimProto
import BerthTTRPC
import Foundation
import SwiftProtobuf
import Testing

/// The committed generated Swift matches the .proto files it came from.
struct GeneratedCodeTests {
    @Test func everyProtoHasItsGeneratedFile() throws {
        let files = WireFixtures.ourProtoFiles()
        #expect(files.count >= 12)
        for (folder, path) in files {
            let generated =
                folder.replacingOccurrences(of: "/protos", with: "/Generated/")
                + path.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ".proto", with: ".pb.swift")
            let text = try String(contentsOfFile: generated, encoding: .utf8)
            #expect(text.contains("// Source: \(path)\n"), "\(generated) not generated from \(path)")
        }
    }

    @Test func swiftTypesCarryTheProtoNames() {
        let names: [(any SwiftProtobuf.Message.Type, String)] = [
            (Containerd_Task_V2_CreateTaskRequest.self, "containerd.task.v2.CreateTaskRequest"),
            (Containerd_Types_Mount.self, "containerd.types.Mount"),
            (Containerd_V1_Types_ProcessInfo.self, "containerd.v1.types.ProcessInfo"),
            (Containerd_Events_TaskExit.self, "containerd.events.TaskExit"),
            (Containerd_Services_Events_Ttrpc_V1_Envelope.self, "containerd.services.events.ttrpc.v1.Envelope"),
            (Containerd_Runc_V1_Options.self, "containerd.runc.v1.Options"),
            (Io_Containerd_Cgroups_V1_Metrics.self, "io.containerd.cgroups.v1.Metrics"),
            (Io_Containerd_Cgroups_V2_Metrics.self, "io.containerd.cgroups.v2.Metrics"),
            (Berth_Shim_V1_ReplayRequest.self, "berth.shim.v1.ReplayRequest"),
            (TTRPCRequest.self, "ttrpc.Request"),
            (TTRPCStatus.self, "google.rpc.Status"),
        ]
        for (type, name) in names {
            #expect(type.protoMessageName == name)
        }
    }

    @Test func taskStatusEnumValues() {
        #expect(Containerd_V1_Types_Status.unknown.rawValue == 0)
        #expect(Containerd_V1_Types_Status.created.rawValue == 1)
        #expect(Containerd_V1_Types_Status.running.rawValue == 2)
        #expect(Containerd_V1_Types_Status.stopped.rawValue == 3)
        #expect(Containerd_V1_Types_Status.paused.rawValue == 4)
        #expect(Containerd_V1_Types_Status.pausing.rawValue == 5)
    }

    /// `delete` prints this on stdout; the bytes are fixed by field numbers.
    @Test func deleteResponseBytes() throws {
        var response = Containerd_Task_V2_DeleteResponse()
        response.pid = 42
        response.exitStatus = 137
        response.exitedAt = Google_Protobuf_Timestamp(seconds: 1, nanos: 0)
        let bytes: [UInt8] = try response.serializedBytes()
        #expect(bytes == [0x08, 0x2a, 0x10, 0x89, 0x01, 0x1a, 0x02, 0x08, 0x01])
    }
}
