import BerthAPI
import GRPCCore
import SwiftProtobuf

/// `containerd.services.version.v1.Version`.
///
/// Reports containerd's version strings so that Debian's ctr 1.6.20 prints
/// no mismatch warning; Berth's own version is in berthd's logs.
public struct VersionService: Containerd_Services_Version_V1_Version.ServiceProtocol {
    /// The version ctr compares with its own.
    public static let version = "1.6.20~ds1"
    /// The revision ctr compares with its own.
    public static let revision = "1.6.20~ds1-1+deb12u3"

    public init() {}

    public func version(
        request: ServerRequest<Google_Protobuf_Empty>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Version_V1_VersionResponse> {
        var response = Containerd_Services_Version_V1_VersionResponse()
        response.version = Self.version
        response.revision = Self.revision
        return ServerResponse(message: response)
    }
}
