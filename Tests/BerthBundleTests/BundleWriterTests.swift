import BerthErrors
import BerthBundle
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

@Suite("config.json writer")
struct BundleWriterTests {
    @Test("writes atomically: no temporary file left, mode 0644, decodes back")
    func write() throws {
        let bundle = try TemporaryDirectory(prefix: "berth-writer")
        defer { bundle.remove() }
        let spec = try Fixtures.generate()
        try BundleWriter.write(spec, bundle: bundle.path, rootfs: bundle.path + "/rootfs")
        let entries = try FileManager.default.contentsOfDirectory(atPath: bundle.path)
        #expect(entries == ["config.json"])
        let attributes = try FileManager.default.attributesOfItem(atPath: bundle.path + "/config.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        let bytes = try [UInt8](Data(contentsOf: bundle.url("config.json")))
        var expected = spec
        expected.root?.path = "rootfs"
        #expect(try BundleWriter.decode(bytes) == expected)

        // Replacing an existing file.
        var changed = spec
        changed.hostname = "second"
        try BundleWriter.write(changed, bundle: bundle.path)
        let again = try BundleWriter.decode([UInt8](Data(contentsOf: bundle.url("config.json"))))
        #expect(again.hostname == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: bundle.path) == ["config.json"])
    }

    @Test("the rootfs path is relative inside the bundle, absolute elsewhere")
    func rootPath() throws {
        let bundle = try TemporaryDirectory(prefix: "berth-writer")
        defer { bundle.remove() }
        let spec = try Fixtures.generate()
        try BundleWriter.write(spec, bundle: bundle.path, rootfs: "/srv/rootfs")
        let written = try BundleWriter.decode([UInt8](Data(contentsOf: bundle.url("config.json"))))
        #expect(written.root?.path == "/srv/rootfs")
        try BundleWriter.write(spec, bundle: bundle.path + "/", rootfs: bundle.path + "/rootfs")
        let relative = try BundleWriter.decode([UInt8](Data(contentsOf: bundle.url("config.json"))))
        #expect(relative.root?.path == "rootfs")
    }

    @Test("output is deterministic, with sorted keys and unescaped slashes")
    func deterministic() throws {
        let spec = try Fixtures.generate { $0.annotations = ["z": "1", "a": "2", "m": "/x/y"] }
        let first = try BundleWriter.encode(spec)
        let second = try BundleWriter.encode(
            try Fixtures.generate { $0.annotations = ["m": "/x/y", "a": "2", "z": "1"] })
        #expect(first == second)
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains("\"/x/y\""))
        let a = try #require(text.range(of: "\"a\" :"))
        let z = try #require(text.range(of: "\"z\" :"))
        #expect(a.lowerBound < z.lowerBound)
        #expect(
            text.range(of: "\"annotations\"")?.lowerBound ?? text.endIndex < text.range(of: "\"hostname\"")?.lowerBound
                ?? text.startIndex)
    }

    @Test("volume directories are created under the volumes root only")
    func volumeDirectories() throws {
        let root = try TemporaryDirectory(prefix: "berth-volumes")
        defer { root.remove() }
        var image = Fixtures.busybox
        image.config?.volumes = ["/data"]
        let spec = try Fixtures.generate(image: image, id: "vol") {
            $0.volumesRoot = root.path
            $0.mounts = [
                MountRequest(kind: .volume(name: "named"), destination: "/named"),
                MountRequest(kind: .bind(source: root.path + "-elsewhere/x"), destination: "/elsewhere"),
            ]
        }
        let created = try BundleWriter.createVolumeDirectories(for: spec, volumesRoot: root.path)
        #expect(created.contains(root.path + "/named/_data"))
        #expect(created.contains(root.path + "/vol-anon0/_data"))
        #expect(FileManager.default.fileExists(atPath: root.path + "/vol-anon0/_data"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "-elsewhere"))
        #expect(try BundleWriter.createVolumeDirectories(for: spec, volumesRoot: root.path).isEmpty)
    }

    @Test("a missing bundle directory is a not-found error and leaves nothing behind")
    func missingDirectory() throws {
        let error = #expect(throws: BundleError.self) {
            try BundleWriter.write(try Fixtures.generate(), bundle: "/nonexistent/berth/bundle")
        }
        #expect(error?.code == .notFound)
    }
}
