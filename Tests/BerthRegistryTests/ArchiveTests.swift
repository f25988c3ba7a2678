import BerthArchive
import BerthErrors
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

@testable import BerthRegistry

@Suite("Image archives", .serialized)
struct ArchiveTests {
    static let name = "localhost/berth/busybox:latest"

    static func archives(_ store: TestStore) -> ImageArchives {
        ImageArchives(store: store.access, logger: testLogger)
    }

    @Test("OCI layout directory and OCI tar import to the same record, with every blob stored and labelled")
    func importLayout() async throws {
        let images = try await TestImages.shared.paths()
        for source in [images.layout, images.archive] {
            let store = try TestStore()
            defer { store.remove() }
            let records = try await Self.archives(store).importImages(from: source)
            #expect(records.map(\.name) == [Self.name])
            let record = try #require(records.first)
            #expect(record.target.digest == images.manifestDigest)
            #expect(record.target.annotations == nil)
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try store.bytes(images.manifestDigest)))
            for blob in manifest.blobs {
                #expect(try store.has(blob.digest))
            }
            #expect(
                try store.labels(images.manifestDigest)["containerd.io/gc.ref.content.config"]
                    == manifest.config.digest.description)
        }
    }

    @Test("OCI archive export round-trips and skopeo reads it; the layout directory export too")
    func exportOCI() async throws {
        let images = try await TestImages.shared.paths()
        let store = try TestStore()
        defer { store.remove() }
        let records = try await Self.archives(store).importImages(from: images.archive)
        let scratch = try TemporaryDirectory(prefix: "berth-export")
        defer { scratch.remove() }
        let tar = scratch.path + "/out.tar"
        try await Self.archives(store).exportOCIArchive(records, to: tar)

        let raw = try skopeoInspectRaw("oci-archive:\(tar):latest")
        #expect(Digest.sha256(of: raw) == images.manifestDigest)
        let again = try TestStore()
        defer { again.remove() }
        #expect(try await Self.archives(again).importImages(from: tar) == records)

        // The tar carries ctr's files: oci-layout, index.json with both name annotations, manifest.json.
        let files = try SpooledTarFiles(tar: tar)
        defer { files.remove() }
        let index = try JSONDecoder().decode(Index.self, from: Data(try files.read("index.json", limit: 1 << 20)))
        #expect(index.manifests.first?.annotation("io.containerd.image.name") == Self.name)
        #expect(index.manifests.first?.referenceName == "latest")
        let docker = try JSONDecoder().decode(
            [DockerArchiveEntry].self, from: Data(try files.read("manifest.json", limit: 1 << 20)))
        #expect(docker.first?.repoTags == ["localhost/berth/busybox:latest"])

        let dir = scratch.path + "/layout"
        try await Self.archives(store).exportOCILayout(records, toDirectory: dir)
        #expect(Digest.sha256(of: try skopeoInspectRaw("oci:\(dir):latest")) == images.manifestDigest)
    }

    @Test("docker-archive export: uncompressed layers whose digests are the diff IDs; skopeo and Berth read it back")
    func dockerArchive() async throws {
        let images = try await TestImages.shared.paths()
        let store = try TestStore()
        defer { store.remove() }
        let records = try await Self.archives(store).importImages(from: images.layout)
        let scratch = try TemporaryDirectory(prefix: "berth-export")
        defer { scratch.remove() }
        let tar = scratch.path + "/docker.tar"
        try await Self.archives(store).exportDockerArchive(records, to: tar)

        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try store.bytes(images.manifestDigest)))
        let config = try JSONDecoder().decode(ImageConfig.self, from: Data(try store.bytes(manifest.config.digest)))
        let inspected = try JSONSerialization.jsonObject(
            with: Data(try run("/usr/bin/skopeo", ["inspect", "--config", "docker-archive:\(tar)"]).utf8))
        let rootfs = (inspected as? [String: Any])?["rootfs"] as? [String: Any]
        #expect(rootfs?["diff_ids"] as? [String] == config.rootfs.diffIDs.map(\.description))

        let again = try TestStore()
        defer { again.remove() }
        let imported = try await Self.archives(again).importImages(from: tar)
        #expect(imported.map(\.name) == ["localhost/berth/busybox:latest"])
        let target = try #require(imported.first?.target)
        #expect(target.mediaType == .dockerManifest)
        let rebuilt = try JSONDecoder().decode(Manifest.self, from: Data(try again.bytes(target.digest)))
        #expect(rebuilt.config.digest == manifest.config.digest)
        #expect(rebuilt.layers.map(\.digest) == config.rootfs.diffIDs)
        #expect(rebuilt.layers.map(\.mediaType) == [.dockerLayer])

        // An archive written by skopeo (docker save format) imports too.
        let skopeoTar = scratch.path + "/skopeo.tar"
        try run(
            "/usr/bin/skopeo",
            ["copy", "--quiet", "oci:\(images.layout):latest", "docker-archive:\(skopeoTar):example/skopeo:v1"])
        let fromSkopeo = try await Self.archives(again).importImages(from: skopeoTar)
        #expect(fromSkopeo.map(\.name) == ["docker.io/example/skopeo:v1"])
    }

    @Test("multi-platform indexes are kept on import and export")
    func multiPlatform() async throws {
        let images = try await TestImages.shared.paths()
        let store = try TestStore()
        defer { store.remove() }
        let records = try await Self.archives(store).importImages(
            from: images.multiLayout, options: ImportOptions(baseName: "example.com/multi"))
        #expect(records == [ImageRecord(name: "example.com/multi:multi", target: try #require(records.first?.target))])
        #expect(records.first?.target.digest == images.indexDigest)
        #expect(records.first?.target.mediaType == .ociIndex)

        let scratch = try TemporaryDirectory(prefix: "berth-export")
        defer { scratch.remove() }
        try await Self.archives(store).exportOCIArchive(records, to: scratch.path + "/multi.tar")
        let again = try TestStore()
        defer { again.remove() }
        let reimported = try await Self.archives(again).importImages(from: scratch.path + "/multi.tar")
        #expect(reimported == records)
        let index = try JSONDecoder().decode(Index.self, from: Data(try again.bytes(images.indexDigest)))
        for manifest in index.manifests {
            #expect(try again.has(manifest.digest))
        }
        #expect(try skopeoInspectRaw("oci-archive:\(scratch.path)/multi.tar:multi").count > 0)

        // With only one platform in the store, the export keeps the index but only that platform.
        let partial = try TestStore()
        defer { partial.remove() }
        try await Self.archives(again).exportOCIArchive(
            records, to: scratch.path + "/one.tar",
            options: ExportOptions(platform: PlatformMatcher(try Platform(parsing: "linux/arm64")), allPlatforms: false)
        )
        let one = try await Self.archives(partial).importImages(from: scratch.path + "/one.tar")
        #expect(one.first?.target.digest == images.indexDigest)
        #expect(try partial.has(images.arm64ManifestDigest))
        #expect(index.manifests.filter { (try? partial.has($0.digest)) == true }.count == 1)
    }

    @Test("unsafe or corrupt archives are refused with clear errors")
    func unsafe() async throws {
        let images = try await TestImages.shared.paths()
        let scratch = try TemporaryDirectory(prefix: "berth-evil")
        defer { scratch.remove() }
        let store = try TestStore()
        defer { store.remove() }

        func tar(_ name: String, _ entries: [(TarEntry, [UInt8])]) throws -> String {
            let path = scratch.path + "/" + name
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            defer { close(fd) }
            let writer = try TarWriter(fileDescriptor: fd)
            for (entry, data) in entries { try writer.append(entry, data: data) }
            try writer.finish()
            return path
        }
        let layout = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
        let cases: [(String, [(TarEntry, [UInt8])], ErrorCode, String)] = [
            ("dotdot.tar", [(TarEntry(path: "../evil"), [1])], .invalidArgument, "'..'"),
            ("absolute.tar", [(TarEntry(path: "/etc/evil"), [1])], .invalidArgument, "absolute"),
            (
                "link.tar", [(TarEntry(path: "index.json", kind: .symlink, linkTarget: "/etc/passwd"), [])],
                .invalidArgument, "absolute"
            ),
            (
                "escape.tar", [(TarEntry(path: "a/index.json", kind: .symlink, linkTarget: "../../x"), [])],
                .invalidArgument, "outside"
            ),
            (
                "dangling.tar", [(TarEntry(path: "index.json", kind: .symlink, linkTarget: "nothing"), [])],
                .invalidArgument, "not a file"
            ),
            ("fifo.tar", [(TarEntry(path: "index.json", kind: .fifo), [])], .invalidArgument, "fifo"),
            ("nothing.tar", [(TarEntry(path: "hello"), [1])], .invalidArgument, "neither"),
            (
                "baddigest.tar",
                [
                    (TarEntry(path: "oci-layout"), layout),
                    (TarEntry(path: "index.json"), Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8)),
                    (TarEntry(path: "blobs/sha256/" + String(repeating: "a", count: 64)), [1, 2, 3]),
                ], .failedPrecondition, "digest mismatch"
            ),
            (
                "missing.tar",
                [
                    (TarEntry(path: "oci-layout"), layout),
                    (
                        TarEntry(path: "index.json"),
                        Array(
                            #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(images.manifestDigest)","size":10}]}"#
                                .utf8)
                    ),
                ], .notFound, "not in the archive"
            ),
        ]
        for (name, entries, code, fragment) in cases {
            let path = try tar(name, entries)
            let failure = await errorCode { _ = try await Self.archives(store).importImages(from: path) }
            #expect(failure?.0 == code, "\(name): \(String(describing: failure))")
            #expect(failure?.1.contains(fragment) == true, "\(name): \(String(describing: failure))")
        }
    }
}
