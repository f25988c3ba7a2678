import BerthTestSupport
import Foundation
import Testing

/// BerthAPI's .proto files against the ones containerd 1.6 was built from
/// (Debian's golang-github-containerd-containerd-dev): every package,
/// message, enum, field number and rpc must match.
@Suite(.enabled(if: APIProtoFixtures.unavailableReason == nil, "reference .proto files not installed"))
struct APIProtoWireCompatibilityTests {
    let ours: ProtoSchema
    let reference: ProtoSchema

    init() throws {
        ours = try APIProtoFixtures.ours()
        reference = try APIProtoFixtures.reference()
    }

    @Test(arguments: APIProtoFixtures.pairs)
    func packageMatches(_ pair: APIProtoFixtures.Pair) throws {
        let ourFile = try #require(ours.files[APIProtoFixtures.apiProtos + "/" + pair.ours], "missing \(pair.ours)")
        let referenceFile = try #require(reference.files[pair.reference])
        #expect(ourFile.package == referenceFile.package)
    }

    @Test(arguments: APIProtoFixtures.pairs)
    func definesEveryMessageEnumAndServiceOfTheReferenceFile(_ pair: APIProtoFixtures.Pair) throws {
        let referenceFile = try #require(reference.files[pair.reference])
        for name in referenceFile.messageNames {
            #expect(ours.messages[name] != nil, "\(name) not defined")
        }
        for name in referenceFile.enumNames {
            #expect(ours.enums[name] != nil, "\(name) not defined")
        }
        for name in referenceFile.serviceNames {
            #expect(ours.services[name] != nil, "\(name) not defined")
        }
    }

    @Test(arguments: APIProtoFixtures.pairs)
    func everyMessageAndEnumMatches(_ pair: APIProtoFixtures.Pair) throws {
        let ourFile = try #require(ours.files[APIProtoFixtures.apiProtos + "/" + pair.ours])
        for name in ourFile.messageNames {
            let ourFields = ours.messages[name]?.sortedFields.map(\.description)
            let referenceFields = reference.messages[name]?.sortedFields.map(\.description)
            #expect(referenceFields != nil, "\(name) has no reference definition")
            #expect(ourFields == referenceFields, "\(name)")
        }
        for name in ourFile.enumNames {
            #expect(ours.enums[name]?.values == reference.enums[name]?.values, "\(name)")
        }
    }

    @Test(arguments: APIProtoFixtures.pairs)
    func everyServiceMatches(_ pair: APIProtoFixtures.Pair) throws {
        let ourFile = try #require(ours.files[APIProtoFixtures.apiProtos + "/" + pair.ours])
        for name in ourFile.serviceNames {
            let ourService = try #require(ours.services[name])
            let referenceService = try #require(reference.services[name], "\(name) has no reference")
            #expect(ourService.methods.map(\.description) == referenceService.methods.map(\.description))
        }
    }

    /// Every containerd file is checked; Berth's own extensions (`berth/…`,
    /// package `berth.*`) have no reference and are left out.
    @Test func everyFileOfOursIsChecked() {
        let checked = Set(APIProtoFixtures.pairs.map(\.ours))
        #expect(Set(APIProtoFixtures.ourAPIFiles().filter { $0.hasPrefix("containerd/") }) == checked)
    }

    @Test func everyTypeTheServicesUseIsDefined() {
        let roots = ours.services.values.flatMap { $0.methods.flatMap { [$0.input, $0.output] } }
        for name in ours.closure(of: roots) where !name.hasPrefix("google.protobuf.") {
            #expect(ours.messages[name] != nil || ours.enums[name] != nil, "\(name) is used but not defined")
        }
    }
}

/// Where BerthAPI's protos and their references live.
enum APIProtoFixtures {
    static let gocode = "/usr/share/gocode/src"
    static let api = gocode + "/github.com/containerd/containerd/api"
    static let apiProtos = SchemaValidator.repositoryRoot + "/Sources/BerthAPI/protos"

    /// Our file (relative to Sources/BerthAPI/protos) and the reference.
    struct Pair: Sendable, CustomTestStringConvertible {
        var ours: String
        var reference: String
        var testDescription: String { ours }
    }

    static let pairs: [Pair] = {
        let services = [
            "containers/v1/containers", "content/v1/content", "diff/v1/diff", "events/v1/events",
            "images/v1/images", "introspection/v1/introspection", "leases/v1/leases",
            "namespaces/v1/namespace", "snapshots/v1/snapshots", "tasks/v1/tasks", "version/v1/version",
        ]
        let events = ["container", "content", "image", "namespace", "snapshot"]
        return services.map { Pair(ours: "containerd/services/\($0).proto", reference: api + "/services/\($0).proto") }
            + events.map { Pair(ours: "containerd/events/\($0).proto", reference: api + "/events/\($0).proto") }
            + ["descriptor", "platform"].map {
                Pair(ours: "containerd/types/\($0).proto", reference: api + "/types/\($0).proto")
            }
    }()

    /// Reference files our protos import from BerthShimProto and BerthTTRPC.
    static let referenceDependencies = [
        api + "/types/mount.proto", api + "/types/metrics.proto", api + "/types/task/task.proto",
        gocode + "/github.com/gogo/googleapis/google/rpc/status.proto",
    ]

    static var unavailableReason: String? {
        let missing = (pairs.map(\.reference) + referenceDependencies).filter {
            !FileManager.default.fileExists(atPath: $0)
        }
        return missing.isEmpty ? nil : "reference definitions missing: " + missing.joined(separator: ", ")
    }

    static func protoFiles(in folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".proto") }.sorted()
    }

    static func ourAPIFiles() -> [String] { protoFiles(in: apiProtos) }

    static func ours() throws -> ProtoSchema {
        let folders = ["BerthAPI", "BerthShimProto", "BerthTTRPC"].map {
            SchemaValidator.repositoryRoot + "/Sources/\($0)/protos"
        }
        return try ProtoSchema.parse(
            files: folders.flatMap { folder in protoFiles(in: folder).map { folder + "/" + $0 } })
    }

    static func reference() throws -> ProtoSchema {
        try ProtoSchema.parse(files: pairs.map(\.reference) + referenceDependencies)
    }
}
