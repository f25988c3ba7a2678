import BerthTestSupport
import Foundation
import Testing

/// Where the reference definitions and Berth's own .proto files live.
enum WireFixtures {
    static let gocode = "/usr/share/gocode/src"
    static let containerd = gocode + "/github.com/containerd/containerd"

    /// Our proto file (relative to its module's protos folder) and the
    /// reference file it mirrors. `complete` marks files where we define
    /// every message and enum of the reference, not only what we use.
    struct Pair: Sendable, CustomTestStringConvertible {
        var ours: String
        var reference: String
        var complete = true

        var testDescription: String { ours }
    }

    static let pairs: [Pair] = [
        Pair(ours: "containerd/task/v2/shim.proto", reference: containerd + "/runtime/v2/task/shim.proto"),
        Pair(ours: "containerd/types/mount.proto", reference: containerd + "/api/types/mount.proto"),
        Pair(ours: "containerd/types/metrics.proto", reference: containerd + "/api/types/metrics.proto"),
        Pair(ours: "containerd/types/task.proto", reference: containerd + "/api/types/task/task.proto"),
        Pair(ours: "containerd/events/task.proto", reference: containerd + "/api/events/task.proto"),
        Pair(
            ours: "containerd/services/events/ttrpc/v1/events.proto",
            reference: containerd + "/api/services/ttrpc/events/v1/events.proto"
        ),
        Pair(ours: "containerd/runc/v1/options.proto", reference: containerd + "/runtime/v2/runc/options/oci.proto"),
        Pair(
            ours: "cgroups/v1/metrics.proto",
            reference: gocode + "/github.com/containerd/cgroups/stats/v1/metrics.proto"
        ),
        Pair(
            ours: "cgroups/v2/metrics.proto",
            reference: gocode + "/github.com/containerd/cgroups/v2/stats/metrics.proto"
        ),
        Pair(
            ours: "google/rpc/status.proto", reference: gocode + "/github.com/gogo/googleapis/google/rpc/status.proto"),
    ]

    /// ttrpc v1.1.1 declares its wire messages as Go structs.
    static let ttrpcTypes = gocode + "/github.com/containerd/ttrpc/types.go"

    /// containerd's topic constants (`TaskExitEventTopic = "/tasks/exit"`).
    static let runtimeEvents = containerd + "/runtime/events.go"

    /// Why the reference files cannot be read here, or nil.
    static var unavailableReason: String? {
        let missing =
            pairs.map(\.reference).filter { !FileManager.default.fileExists(atPath: $0) }
            + [ttrpcTypes, runtimeEvents].filter { !FileManager.default.fileExists(atPath: $0) }
        guard !missing.isEmpty else { return nil }
        return "reference definitions missing (install golang-github-containerd-containerd-dev): "
            + missing.joined(separator: ", ")
    }

    /// The protos folders of the modules that own .proto files.
    static let protoFolders = ["BerthShimProto", "BerthTTRPC"].map {
        SchemaValidator.repositoryRoot + "/Sources/\($0)/protos"
    }

    /// Every .proto file of ours, as (module protos folder, relative path).
    static func ourProtoFiles() -> [(folder: String, path: String)] {
        protoFolders.flatMap { folder in
            (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".proto") }
                .sorted()
                .map { (folder, $0) }
        }
    }

    /// Absolute path of our proto `relative`.
    static func ourPath(_ relative: String) -> String? {
        ourProtoFiles().first { $0.path == relative }.map { "\($0.folder)/\($0.path)" }
    }

    static func ours() throws -> ProtoSchema {
        try ProtoSchema.parse(files: ourProtoFiles().map { "\($0.folder)/\($0.path)" })
    }

    static func reference() throws -> ProtoSchema {
        let protos = try ProtoSchema.parse(files: pairs.map(\.reference))
        let ttrpc = try ProtoSchema.parseGoStructs(
            ttrpcTypes,
            package: "ttrpc",
            externalTypes: ["spb.Status": "google.rpc.Status"]
        )
        return protos.merging(ttrpc)
    }
}
