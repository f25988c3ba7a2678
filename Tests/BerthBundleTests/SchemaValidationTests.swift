import BerthBundle
import BerthTestSupport
import Foundation
import Testing

@Suite(
    "generated specs validate against the runtime-spec schema",
    .enabled(if: SchemaValidator.unavailableReason == nil, "\(SchemaValidator.unavailableReason ?? "")")
)
struct SchemaValidationTests {
    @Test("every option case, every combination, every golden fixture")
    func everySpecIsValid() throws {
        let directory = try TemporaryDirectory(prefix: "berth-schema-all")
        defer { directory.remove() }
        var files: [String] = []
        for (index, option) in (OptionCases.single + OptionCases.combinations).enumerated() {
            let path = directory.path + "/case-\(index).json"
            try Fixtures.json(try option.generate()).write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        for golden in try GoldenFixture.all() {
            let path = directory.path + "/golden-\(golden.name).json"
            try Fixtures.json(try golden.generate()).write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
            files.append(golden.directory + "/config.json")
        }
        let live = try BundleGenerator.live().generate(
            image: Fixtures.busybox, rootfs: Fixtures.rootfs, options: SpecOptions(containerID: "live"),
            logger: Fixtures.logger)
        let livePath = directory.path + "/live.json"
        try Fixtures.json(live).write(toFile: livePath, atomically: true, encoding: .utf8)
        files.append(livePath)

        let result = try SchemaValidator.validate(files: files)
        #expect(result.ok, "\(result.output)")
    }

    @Test("the validator rejects a broken spec (the check is live)")
    func rejectsBroken() throws {
        let broken = Data(#"{"ociVersion": "1.0.2", "process": {"cwd": 7}}"#.utf8)
        #expect(try SchemaValidator.validate(specJSON: broken).ok == false)
    }
}
