import BerthBundle
import BerthOCI
import Foundation
import Testing

/// One directory of `runtime-spec/golden/`: `image.json` (an image config),
/// `options.json` (BerthBundle's ``RunFlags`` plus `id`) and the expected `config.json`.
struct GoldenFixture: Sendable, CustomTestStringConvertible {
    static let root = Fixtures.runtimeSpecDirectory + "/golden"

    var name: String
    var directory: String { Self.root + "/" + name }
    var testDescription: String { name }

    static func all() throws -> [GoldenFixture] {
        try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/options.json") }
            .sorted()
            .map { GoldenFixture(name: $0) }
    }

    /// Generated with ``FixedHost`` and the shared golden rootfs, `root.path` made relative.
    func generate() throws -> Spec {
        let decoder = JSONDecoder()
        let image = try decoder.decode(
            ImageConfig.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/image.json")))
        let optionsData = try Data(contentsOf: URL(fileURLWithPath: directory + "/options.json"))
        let flags = try decoder.decode(RunFlags.self, from: optionsData)
        let id = try decoder.decode(GoldenID.self, from: optionsData).id
        let options = try flags.specOptions(containerID: id) { _ in nil }
        return try BundleGenerator(defaults: try Fixtures.defaults, host: FixedHost())
            .generate(
                image: image, rootfs: Fixtures.rootfs, options: options, logger: Fixtures.logger)
    }
}

/// The container id of a golden fixture (`"id"` in `options.json`).
struct GoldenID: Decodable {
    var id: String
}

@Suite("golden fixtures in runtime-spec/golden (BERTH_UPDATE_GOLDEN=1 rewrites them)")
struct GoldenTests {
    static let update = ProcessInfo.processInfo.environment["BERTH_UPDATE_GOLDEN"] == "1"

    @Test("there are fixtures")
    func present() throws {
        #expect(try GoldenFixture.all().count >= 5)
    }

    @Test(arguments: try GoldenFixture.all())
    func matches(_ golden: GoldenFixture) throws {
        let generated = try Fixtures.json(try golden.generate())
        let path = golden.directory + "/config.json"
        if Self.update {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(generated == expected, "\(golden.name): run with BERTH_UPDATE_GOLDEN=1 and review the diff")
    }
}
