import BerthHost
import Foundation
import Testing

@Suite struct BerthCLITests {
    /// `.build/debug/berth`, found from this file's path.
    static let binary = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // BerthHostTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent(".build/debug/berth").path

    @Test func systemInfoPrintsEverySection() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build berth first")
        let text = try run(Self.binary, ["system", "info"])
        for heading in SystemInfoTests.headings {
            #expect(text.contains("\(heading):\n"), "\(heading)")
        }
        #expect(text.contains("runc version"))
    }

    @Test func systemInfoJSONDecodes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build berth first")
        let json = try run(Self.binary, ["system", "info", "--format", "json"])
        let info = try SystemInfo.decode(json: Data(json.utf8))
        #expect(info.executors.contains { $0.name == "runc" })
    }
}
