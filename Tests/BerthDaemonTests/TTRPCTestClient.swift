import BerthShimProto
import BerthTTRPC
import Foundation
import SwiftProtobuf

/// A minimal blocking ttrpc client: one Forward call, as a shim makes it.
enum TTRPCTestClient {
    static func forward(_ envelope: EventEnvelope, to path: String) throws -> TTRPCResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw HarnessError("connect \(path) failed") }
        let payload: [UInt8] = try ForwardRequest(envelope: envelope).serializedBytes()
        let request = TTRPCRequest(
            service: EventsService.name, method: "Forward", payload: payload, timeoutNanoseconds: 5_000_000_000,
            metadata: [(TTRPCRequest.namespaceMetadataKey, envelope.namespace)])
        let bytes = try TTRPCFrame.request(streamID: 1, request).encoded()
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw HarnessError("short write")
        }
        var decoder = TTRPCFrameDecoder(role: .client)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let frame = try decoder.nextFrame() { return try frame.decodeResponse() }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw HarnessError("connection closed") }
            decoder.append(buffer[0..<count])
        }
    }

    typealias ForwardRequest = Containerd_Services_Events_Ttrpc_V1_ForwardRequest
}
