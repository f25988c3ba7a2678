import BerthAPI
import BerthMetadata
import BerthTTRPC
import GRPCCore
import SwiftProtobuf

/// `containerd.services.introspection.v1.Introspection`: the plugin list
/// (what this daemon serves, in containerd's plugin vocabulary) and the
/// server's persistent UUID.
public struct IntrospectionService: Containerd_Services_Introspection_V1_Introspection.ServiceProtocol {
    /// One entry of the plugin list.
    public struct PluginEntry: Sendable {
        public var type: String
        public var id: String
        public var requires: [String] = []
        /// Set for plugins that exist in containerd but are not (yet) served.
        public var skipReason: String?

        public init(type: String, id: String, requires: [String] = [], skipReason: String? = nil) {
            self.type = type
            self.id = id
            self.requires = requires
            self.skipReason = skipReason
        }
    }

    let uuid: String
    let plugins: [PluginEntry]

    /// A service reporting `uuid` and `plugins`.
    public init(uuid: String, plugins: [PluginEntry]) {
        self.uuid = uuid
        self.plugins = plugins
    }

    public func plugins(
        request: ServerRequest<Containerd_Services_Introspection_V1_PluginsRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Introspection_V1_PluginsResponse> {
        try await rpc {
            let filter = try Filter(parsing: request.message.filters)
            var response = Containerd_Services_Introspection_V1_PluginsResponse()
            response.plugins = plugins.map(Self.message).filter { plugin in
                filter.matches { path in
                    switch path.first {
                    case "type": plugin.type
                    case "id": plugin.id
                    default: nil
                    }
                }
            }
            return ServerResponse(message: response)
        }
    }

    public func server(
        request: ServerRequest<Google_Protobuf_Empty>,
        context: ServerContext
    ) async throws -> ServerResponse<Containerd_Services_Introspection_V1_ServerResponse> {
        var response = Containerd_Services_Introspection_V1_ServerResponse()
        response.uuid = uuid
        return ServerResponse(message: response)
    }

    static func message(_ entry: PluginEntry) -> Containerd_Services_Introspection_V1_Plugin {
        var plugin = Containerd_Services_Introspection_V1_Plugin()
        plugin.type = entry.type
        plugin.id = entry.id
        plugin.requires = entry.requires
        var platform = Containerd_Types_Platform()
        platform.os = "linux"
        platform.architecture = hostArchitecture
        if entry.type == "io.containerd.snapshotter.v1" { plugin.platforms = [platform] }
        if let reason = entry.skipReason {
            var status = Google_Rpc_Status()
            status.code = Int32(ErrorCodeNumber.notImplemented)
            status.message = reason
            plugin.initErr = status
        }
        return plugin
    }

    static var hostArchitecture: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }

    private enum ErrorCodeNumber {
        static let notImplemented = 12
    }
}

extension IntrospectionService {
    /// containerd-style plugin entries for what berthd serves; `served` are
    /// the gRPC service ids registered (`version`, `namespaces`, …).
    public static func plugins(served: Set<String>, snapshotter: String) -> [PluginEntry] {
        var entries: [PluginEntry] = [
            PluginEntry(type: "io.containerd.content.v1", id: "content"),
            PluginEntry(type: "io.containerd.snapshotter.v1", id: snapshotter),
            PluginEntry(
                type: "io.containerd.metadata.v1", id: "sqlite",
                requires: ["io.containerd.content.v1", "io.containerd.snapshotter.v1"]),
            PluginEntry(type: "io.containerd.event.v1", id: "exchange"),
            PluginEntry(type: "io.containerd.gc.v1", id: "scheduler", requires: ["io.containerd.metadata.v1"]),
            PluginEntry(type: "io.containerd.lease.v1", id: "manager", requires: ["io.containerd.metadata.v1"]),
            PluginEntry(type: "io.containerd.runtime.v2", id: "task", requires: ["io.containerd.event.v1"]),
        ]
        let services = [
            "containers", "content", "diff", "events", "images", "introspection", "leases", "namespaces",
            "snapshots", "tasks", "version",
        ]
        for id in services {
            entries.append(
                PluginEntry(
                    type: "io.containerd.grpc.v1", id: id,
                    skipReason: served.contains(id) ? nil : "not served by this berthd"))
        }
        entries.append(PluginEntry(type: "io.containerd.ttrpc.v1", id: "events"))
        return entries
    }
}
