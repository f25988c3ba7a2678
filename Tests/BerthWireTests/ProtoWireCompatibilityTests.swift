import BerthShimProto
import BerthTestSupport
import Foundation
import Testing

/// Berth's .proto files against the ones containerd 1.6 was built from:
/// every message, enum and service we define must match the reference
/// exactly in everything that reaches the wire.
@Suite(.enabled(if: WireFixtures.unavailableReason == nil, "reference .proto files not installed"))
struct ProtoWireCompatibilityTests {
    let ours: ProtoSchema
    let reference: ProtoSchema

    init() throws {
        ours = try WireFixtures.ours()
        reference = try WireFixtures.reference()
    }

    /// Our own extension, which has no reference.
    static func isBerthExtension(_ name: String) -> Bool { name.hasPrefix("berth.") }

    @Test func parserReadsTheReferenceFiles() throws {
        let task = try #require(reference.services["containerd.task.v2.Task"])
        #expect(task.methods.count == 17)
        #expect(reference.messages["containerd.task.v2.CreateTaskRequest"]?.fields.count == 10)
        #expect(reference.messages["io.containerd.cgroups.v1.MemoryStat"]?.fields.count == 36)
        #expect(reference.messages["ttrpc.Request"]?.fields.count == 5)
        #expect(reference.enums["containerd.v1.types.Status"]?.values["PAUSING"] == 5)
    }

    @Test(arguments: WireFixtures.pairs)
    func packageMatches(_ pair: WireFixtures.Pair) throws {
        let path = try #require(WireFixtures.ourPath(pair.ours), "missing \(pair.ours)")
        let ourFile = try #require(ours.files[path])
        let referenceFile = try #require(reference.files[pair.reference])
        #expect(ourFile.package == referenceFile.package)
    }

    @Test(arguments: WireFixtures.pairs.filter(\.complete))
    func definesEveryMessageOfTheReferenceFile(_ pair: WireFixtures.Pair) throws {
        let referenceFile = try #require(reference.files[pair.reference])
        for name in referenceFile.messageNames {
            #expect(ours.messages[name] != nil, "\(name) not defined")
        }
        for name in referenceFile.enumNames {
            #expect(ours.enums[name] != nil, "\(name) not defined")
        }
    }

    @Test func everyMessageWeDefineMatches() {
        let names = ours.messages.keys.filter { !Self.isBerthExtension($0) }.sorted()
        #expect(names.count >= 70)
        for name in names {
            guard let ourMessage = ours.messages[name], let referenceMessage = reference.messages[name] else {
                Issue.record("\(name) has no reference definition")
                continue
            }
            let ourFields = ourMessage.sortedFields.map(\.description)
            let referenceFields = referenceMessage.sortedFields.map(\.description)
            #expect(ourFields == referenceFields, "\(name)")
        }
    }

    @Test func everyEnumWeDefineMatches() {
        let names = ours.enums.keys.filter { !Self.isBerthExtension($0) }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            #expect(ours.enums[name]?.values == reference.enums[name]?.values, "\(name)")
        }
    }

    @Test(arguments: ["containerd.task.v2.Task", "containerd.services.events.ttrpc.v1.Events"])
    func serviceMatches(_ name: String) throws {
        let ourService = try #require(ours.services[name])
        let referenceService = try #require(reference.services[name])
        #expect(ourService.methods.map(\.description) == referenceService.methods.map(\.description))
    }

    @Test func everyTypeTheTaskServiceUsesIsDefined() throws {
        let task = try #require(ours.services["containerd.task.v2.Task"])
        let roots = task.methods.flatMap { [$0.input, $0.output] }
        for name in ours.closure(of: roots) where !name.hasPrefix("google.protobuf.") {
            #expect(ours.messages[name] != nil || ours.enums[name] != nil, "\(name) is used but not defined")
        }
    }

    @Test func berthExtensionStaysInItsOwnPackage() throws {
        let journal = try #require(ours.services[JournalService.name])
        #expect(journal.methods.map(\.name) == JournalService.Method.allCases.map(\.rawValue))
        #expect(reference.packages.allSatisfy { !Self.isBerthExtension($0) })
        #expect(reference.services[JournalService.name] == nil)
        let replay = try #require(journal.methods.first { $0.name == "Replay" })
        #expect(replay.input == "berth.shim.v1.ReplayRequest")
        let event = try #require(ours.messages["berth.shim.v1.JournalEvent"])
        #expect(event.fields.contains { $0.type == "containerd.services.events.ttrpc.v1.Envelope" })
    }

    @Test func serviceTablesMatchTheProtos() throws {
        let task = try #require(ours.services[TaskService.name])
        #expect(task.methods.map(\.name) == TaskService.Method.allCases.map(\.rawValue))
        let events = try #require(ours.services[EventsService.name])
        #expect(events.methods.map(\.name) == EventsService.Method.allCases.map(\.rawValue))
    }
}
