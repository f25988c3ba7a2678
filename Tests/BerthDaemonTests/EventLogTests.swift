import BerthAPI
import BerthDaemon
import BerthTestSupport
import Foundation
import Logging
import SwiftProtobuf
import Testing

/// berthd's event log and the numbering it carries across restarts: each
/// "daemon" here is a new ``EventExchange`` over the same log file.
struct EventLogTests {
    static let logger = Logger(label: "test")

    static func exchange(_ directory: TemporaryDirectory, retained: Int = 64) throws -> EventExchange {
        let log = try EventLog(
            path: directory.path + "/" + EventLog.fileName, retained: retained, logger: logger)
        return EventExchange(logger: logger, log: log)
    }

    static func publish(_ exchange: EventExchange, _ name: String) throws {
        var event = Containerd_Services_Namespaces_V1_Namespace()
        event.name = name
        try exchange.publish(namespace: "ns", topic: "/test/\(name)", event: event)
    }

    /// The topics and sequences a `since` subscription replays at once.
    static func replay(_ exchange: EventExchange, since: UInt64) async -> [(topic: String, sequence: UInt64?)] {
        let stream = exchange.subscribe(since: since)
        var seen: [(String, UInt64?)] = []
        let count = exchange.retained.filter { ($0.berthSequence ?? 0) > since }.count
        let expected = since > exchange.lastSequence ? exchange.retained.count : count
        for await envelope in stream {
            seen.append((envelope.topic, envelope.berthSequence))
            if seen.count == expected { break }
        }
        return seen
    }

    static func sequences(_ records: [[UInt8]]) -> [UInt64] {
        records.compactMap { try? Containerd_Services_Events_V1_Envelope(serializedBytes: $0).berthSequence }
    }

    @Test func numberingAndHistoryOutliveTheDaemon() async throws {
        let directory = try TemporaryDirectory(prefix: "berth-eventlog")
        defer { directory.remove() }
        let first = try Self.exchange(directory)
        for name in ["a", "b", "c"] { try Self.publish(first, name) }
        #expect(first.lastSequence == 3)

        let second = try Self.exchange(directory)
        #expect(second.lastSequence == 3, "numbering continues")
        try Self.publish(second, "d")
        #expect(second.lastSequence == 4)
        let resumed = await Self.replay(second, since: 2)
        #expect(resumed.map(\.topic) == ["/test/c", "/test/d"])
        #expect(resumed.map(\.sequence) == [3, 4])
        // A cursor from beyond this log (an older state directory) gets everything.
        let stale = await Self.replay(second, since: 99)
        #expect(stale.map(\.sequence) == [1, 2, 3, 4])
    }

    @Test func aTornTailIsCutOffAndAppendsContinueCleanly() async throws {
        let directory = try TemporaryDirectory(prefix: "berth-eventlog")
        defer { directory.remove() }
        let first = try Self.exchange(directory)
        for name in ["a", "b"] { try Self.publish(first, name) }
        // A write cut short: a length prefix promising more than follows.
        let path = directory.path + "/" + EventLog.fileName
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 50, 1, 2, 3]))
        handle.closeFile()

        let second = try Self.exchange(directory)
        #expect(second.lastSequence == 2)
        try Self.publish(second, "c")
        let third = try Self.exchange(directory)
        #expect(third.lastSequence == 3, "the record after the cut is readable")
        #expect(third.retained.map(\.topic) == ["/test/a", "/test/b", "/test/c"])
    }

    @Test func theLogIsCompactedToTheNewestRecords() async throws {
        let directory = try TemporaryDirectory(prefix: "berth-eventlog")
        defer { directory.remove() }
        let exchange = try Self.exchange(directory, retained: 8)
        for index in 0..<21 { try Self.publish(exchange, "e\(index)") }
        let path = directory.path + "/" + EventLog.fileName
        let reopened = try EventLog(path: path, retained: 8, logger: Self.logger)
        // Compacted at 16 records down to 8, then 5 more appended.
        #expect(reopened.loaded.count == 8)
        #expect(Self.sequences(reopened.loaded).last == 21)
        let everything = try EventLog(path: path, retained: 100, logger: Self.logger)
        #expect(Self.sequences(everything.loaded) == Array(9...21), "the file holds 13 records")
        #expect(EventExchange(logger: Self.logger, log: reopened).lastSequence == 21)
    }

    /// `Events.Publish` takes events of up to berthd's message size: the
    /// history and the log are bounded in bytes as well as in events.
    @Test func largeEventsAreBoundedInBytes() throws {
        let directory = try TemporaryDirectory(prefix: "berth-eventlog")
        defer { directory.remove() }
        let exchange = try Self.exchange(directory, retained: 4096)
        var event = Containerd_Services_Namespaces_V1_Namespace()
        event.labels = ["blob": String(repeating: "x", count: 1 << 20)]
        for _ in 0..<40 { try exchange.publish(namespace: "ns", topic: "/test/large", event: event) }
        let retained = exchange.retained
        #expect(retained.count <= EventExchange.historyByteLimit >> 20 && retained.count >= 8, "\(retained.count)")
        #expect(retained.last?.berthSequence == 40, "the newest stays")
        let path = directory.path + "/" + EventLog.fileName
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size < 32 << 20, "compacted by size: \(size)")
        #expect(try Self.exchange(directory).lastSequence == 40)
    }

    /// A subscriber that stops reading is ended once its buffer is full,
    /// after every buffered event and with no gap; it resumes from its
    /// last number and misses nothing.
    @Test func aSubscriberTooFarBehindIsEndedWithoutAGapAndResumes() async throws {
        let exchange = EventExchange(logger: Self.logger)
        let stream = exchange.subscribe()
        let total = EventExchange.subscriberBuffer + 5
        for index in 0..<total { try Self.publish(exchange, "e\(index)") }
        #expect(exchange.subscriberCount == 0, "ended")
        var seen: [UInt64] = []
        for await envelope in stream { seen.append(envelope.berthSequence ?? 0) }
        #expect(seen == Array(1...UInt64(EventExchange.subscriberBuffer)))
        let resumed = await Self.replay(exchange, since: seen.last ?? 0)
        #expect(resumed.map(\.sequence) == Array((UInt64(EventExchange.subscriberBuffer) + 1)...UInt64(total)))
        exchange.shutdown()
        var ended = true
        for await _ in exchange.subscribe() { ended = false }
        #expect(ended, "a subscription after shutdown ends at once")
    }

    @Test func theSequenceTravelsAsAFieldContainerdClientsSkip() throws {
        var envelope = Containerd_Services_Events_V1_Envelope()
        envelope.namespace = "ns"
        envelope.topic = "/tasks/exit"
        #expect(envelope.berthSequence == nil)
        let numbered = try envelope.withBerthSequence(300)
        #expect(numbered.berthSequence == 300)
        #expect(try numbered.withBerthSequence(301).berthSequence == 301, "renumbering replaces")
        #expect(numbered.withoutBerthSequence == envelope)
        // The containerd fields are untouched; the extra bytes are field 1000.
        let plain: [UInt8] = try envelope.serializedBytes()
        let bytes = try envelope.serializedBytes(sequence: 300)
        #expect(Array(bytes.prefix(plain.count)) == plain)
        #expect(Array(bytes.dropFirst(plain.count)) == [0xC0, 0x3E, 0xAC, 0x02])
    }
}
