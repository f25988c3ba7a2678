import BerthErrors
import BerthOCI
import Foundation
import Testing

@Suite("Image spec")
struct ImageSpecTests {
    // MARK: Round trips

    /// Fixture file and the type it decodes to.
    enum Kind: String, Sendable, CustomTestStringConvertible {
        case manifest, index, config, layout
        var testDescription: String { rawValue }
    }

    static let fixtures: [(String, Kind)] = [
        ("oci-manifest.json", .manifest),
        ("oci-artifact-manifest.json", .manifest),
        ("docker-manifest.json", .manifest),
        ("docker-manifest-windows.json", .manifest),
        ("oci-index.json", .index),
        ("docker-manifest-list.json", .index),
        ("oci-config.json", .config),
        ("docker-config.json", .config),
        ("oci-layout", .layout),
    ]

    private static func reencode(_ data: Data, as kind: Kind) throws -> Data {
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        return switch kind {
        case .manifest: try encoder.encode(decoder.decode(Manifest.self, from: data))
        case .index: try encoder.encode(decoder.decode(Index.self, from: data))
        case .config: try encoder.encode(decoder.decode(ImageConfig.self, from: data))
        case .layout: try encoder.encode(decoder.decode(ImageLayout.self, from: data))
        }
    }

    @Test("decode then encode keeps every field", arguments: fixtures)
    func roundTrip(_ name: String, _ kind: Kind) throws {
        let original = try ImageFixtures.data(name)
        let reencoded = try Self.reencode(original, as: kind)
        // `null` means absent in the model, and absent fields are omitted on encode.
        let expected = ImageFixtures.removingNulls(try JSONSerialization.jsonObject(with: original))
        let actual = try JSONSerialization.jsonObject(with: reencoded)
        #expect(!ImageFixtures.containsNull(actual))
        let differences = JSON.differences(expected, actual)
        #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))")
        // Encoding is stable: a second round trip is byte-identical with sorted keys.
        let again = try Self.reencode(reencoded, as: kind)
        #expect(JSON.differences(actual, try JSONSerialization.jsonObject(with: again)).isEmpty)
    }

    @Test("only the Docker config fixture relies on null-as-absent")
    func fixtureNulls() throws {
        for (name, _) in Self.fixtures {
            let object = try JSONSerialization.jsonObject(with: ImageFixtures.data(name))
            #expect(ImageFixtures.containsNull(object) == (name == "docker-config.json"), "\(name)")
        }
    }

    // MARK: Manifest

    @Test("OCI manifest: fields and content addressing of its config")
    func ociManifest() throws {
        let manifest = try ImageFixtures.decode(Manifest.self, "oci-manifest.json")
        try manifest.validate()
        #expect(manifest.schemaVersion == 2)
        #expect(manifest.mediaType == .ociManifest)
        #expect(!manifest.isDocker)
        #expect(manifest.config.mediaType == .ociConfig)
        #expect(manifest.config.isConfig)
        #expect(manifest.layers.count == 3)
        #expect(manifest.layers.allSatisfy { $0.isLayer })
        #expect(manifest.layers.map(\.mediaType.layerCompression) == [.gzip, .gzip, .zstd])
        #expect(manifest.layers[0].size == 29_124_533)
        #expect(manifest.blobs.count == 4)
        #expect(manifest.annotations?[AnnotationKey.baseImageName] == "docker.io/library/debian:bookworm-slim")
        #expect(manifest.effectiveArtifactType == .ociConfig)

        let config = try ImageFixtures.bytes("oci-config.json")
        #expect(manifest.config.size == Int64(config.count))
        try manifest.config.digest.verify(config)
        var verifier = DigestVerifier(descriptor: manifest.config)
        verifier.update(config)
        try verifier.verify()
    }

    @Test("OCI artifact manifest: artifactType, subject, embedded data, urls")
    func artifactManifest() throws {
        let manifest = try ImageFixtures.decode(Manifest.self, "oci-artifact-manifest.json")
        #expect(manifest.artifactType == "application/spdx+json")
        #expect(manifest.effectiveArtifactType == "application/spdx+json")
        #expect(manifest.config.mediaType == .ociEmpty)
        #expect(manifest.config.data == Array("{}".utf8))
        try manifest.config.verifyEmbeddedData()
        #expect(manifest.layers[0].title == "sbom.spdx.json")
        #expect(manifest.layers[0].data == Array(#"{"spdxVersion":"SPDX-2.3"}"#.utf8))
        try manifest.layers[0].verifyEmbeddedData()
        #expect(!manifest.layers[0].isLayer)
        #expect(manifest.layers[1].isNondistributable)
        #expect(manifest.layers[1].urls?.count == 2)

        let subject = try #require(manifest.subject)
        #expect(subject.isManifest)
        let image = try ImageFixtures.bytes("oci-manifest.json")
        try subject.digest.verify(image)
        #expect(subject.size == Int64(image.count))

        var tampered = manifest.config
        tampered.data = Array("{ }".utf8)
        #expect(throws: OCIError.self) { try tampered.verifyEmbeddedData() }
    }

    @Test("Docker schema2 manifests, including a Windows foreign layer")
    func dockerManifest() throws {
        let manifest = try ImageFixtures.decode(Manifest.self, "docker-manifest.json")
        try manifest.validate()
        #expect(manifest.isDocker)
        #expect(manifest.config.mediaType == .dockerConfig)
        #expect(manifest.layers.map(\.mediaType) == [.dockerLayerGzip])
        try manifest.config.digest.verify(ImageFixtures.bytes("docker-config.json"))

        let windows = try ImageFixtures.decode(Manifest.self, "docker-manifest-windows.json")
        #expect(windows.layers[0].mediaType == .dockerForeignLayer)
        #expect(windows.layers[0].isNondistributable)
        #expect(windows.layers[0].urls?.first?.hasPrefix("https://mcr.microsoft.com/") == true)
        #expect(!windows.layers[1].isNondistributable)
    }

    @Test("manifest validation")
    func manifestValidation() throws {
        let config = Descriptor(mediaType: .ociEmpty, content: Array("{}".utf8))
        try Manifest(config: config).validate()
        try Manifest(mediaType: nil, config: config).validate()
        try Manifest(mediaType: .dockerManifest, config: config).validate()
        let version = try #require(throws: OCIError.self) { try Manifest(schemaVersion: 1, config: config).validate() }
        #expect(version.message.contains("schemaVersion must be 2, got 1"))
        let type = try #require(throws: OCIError.self) { try Manifest(mediaType: .ociIndex, config: config).validate() }
        #expect(type.message.contains(MediaType.ociIndex.rawValue))
        #expect(throws: OCIError.self) { try Index(mediaType: .ociManifest).validate() }
        #expect(throws: OCIError.self) { try Index(schemaVersion: 3).validate() }
        try Index().validate()
    }

    // MARK: Index

    @Test("OCI index fields")
    func ociIndex() throws {
        let index = try ImageFixtures.decode(Index.self, "oci-index.json")
        try index.validate()
        #expect(index.mediaType == .ociIndex)
        #expect(index.artifactType == "application/vnd.example.multiarch")
        #expect(index.subject?.mediaType == .ociIndex)
        #expect(index.annotations?[AnnotationKey.version] == "1.2.3")
        #expect(index.manifests.count == 10)
        let windows = try #require(index.manifests.first { $0.platform?.os == "windows" })
        #expect(windows.platform?.osVersion == "10.0.20348.2402")
        #expect(windows.platform?.osFeatures == ["win32k"])
        let nested = try #require(index.manifests.last)
        #expect(nested.isIndex)
        #expect(nested.platform == nil)
        #expect(nested.artifactType == "application/vnd.example.bundle")
        #expect(index.manifests(referenceName: "v1.2.3") == [nested])
        let attestation = index.manifests[8]
        #expect(attestation.platform == Platform(os: "unknown", architecture: "unknown"))
        #expect(attestation.annotation("vnd.docker.reference.type") == "attestation-manifest")
    }

    @Test("Docker manifest list decodes as an index")
    func dockerManifestList() throws {
        let list = try ImageFixtures.decode(Index.self, "docker-manifest-list.json")
        try list.validate()
        #expect(list.isDocker)
        #expect(list.mediaType.map(Manifest.isIndex(mediaType:)) == true)
        #expect(list.manifests.count == 10)
        #expect(list.manifests.allSatisfy { $0.mediaType == .dockerManifest })
        #expect(list.manifests[1].platform == Platform(os: "linux", architecture: "arm", variant: "v5"))
    }

    // MARK: Image config

    @Test("OCI image config: every field")
    func ociConfig() throws {
        let image = try ImageFixtures.decode(ImageConfig.self, "oci-config.json")
        #expect(image.created == "2024-05-14T09:21:37.512839104Z")
        #expect(image.author == "Berth Maintainers <maintainers@berth.example>")
        #expect(
            image.platform
                == Platform(
                    os: "linux", architecture: "arm64", variant: "v8", osVersion: "6.1.0", osFeatures: ["seccomp"]))
        #expect(image.platform.normalized.description == "linux/arm64")

        let config = try #require(image.config)
        #expect(config.user == "1000:1000")
        #expect(config.exposedPorts == ["8080/tcp", "8443/tcp", "53/udp"])
        #expect(config.env?.last == "EMPTY=")
        #expect(config.entrypoint == ["/usr/local/bin/docker-entrypoint.sh"])
        #expect(config.cmd == ["server", "--listen", "0.0.0.0:8080"])
        #expect(config.volumes == ["/var/lib/app", "/var/log/app"])
        #expect(config.workingDir == "/srv/app")
        #expect(config.labels?["maintainer"] == "ops@example.com")
        #expect(config.stopSignal == "SIGQUIT")
        #expect(config.argsEscaped == true)
        #expect(config.onBuild?.count == 2)
        #expect(config.shell == ["/bin/bash", "-o", "pipefail", "-c"])
        #expect(config.macAddress == "02:42:ac:11:00:02")
        #expect(config.stopTimeout == 20)
        #expect(config.tty == false)

        let health = try #require(config.healthcheck)
        #expect(health.test?.first == "CMD-SHELL")
        #expect(health.interval == .seconds(30))
        #expect(health.timeout == .seconds(5))
        #expect(health.startPeriod == .seconds(10))
        #expect(health.startInterval == .seconds(2))
        #expect(health.retries == 3)

        #expect(image.rootfs.type == "layers")
        #expect(image.rootfs.diffIDs.map(\.description) == DigestTests.diffIDs)
        #expect(image.rootfs.chainID?.description == DigestTests.chainIDs[2])
        let history = try #require(image.history)
        #expect(history.count == 4)
        #expect(history[1].emptyLayer == true)
        #expect(history[3].emptyLayer == false)
        #expect(history[2].author == "Berth Maintainers")
        #expect(history[0].createdBy?.hasPrefix("/bin/sh -c #(nop) ADD") == true)
        #expect(image.container == nil)
        #expect(image.dockerVersion == nil)
    }

    @Test("Docker schema2 config: null is absent, empty stays empty")
    func dockerConfig() throws {
        let image = try ImageFixtures.decode(ImageConfig.self, "docker-config.json")
        #expect(image.dockerVersion == "20.10.23")
        #expect(image.container?.count == 64)
        #expect(image.author == "")
        #expect(image.comment == "")
        #expect(image.parent == "")
        let config = try #require(image.config)
        #expect(config.entrypoint == nil)  // "Entrypoint": null
        #expect(config.volumes == nil)  // "Volumes": null
        #expect(config.onBuild == nil)  // "OnBuild": null
        #expect(config.labels == [:])  // "Labels": {}
        #expect(config.user == "")
        #expect(config.cmd == ["sh"])
        #expect(config.exposedPorts == nil)  // absent
        let containerConfig = try #require(image.containerConfig)
        #expect(containerConfig.hostname == "bd2eba2cc6e5")
        #expect(containerConfig.cmd == ["/bin/sh", "-c", "#(nop) ", #"CMD ["sh"]"#])

        let encoded = try ImageFixtures.encodedObject(image)
        let encodedConfig = try #require(encoded["config"] as? [String: Any])
        #expect(encodedConfig["Entrypoint"] == nil)
        #expect(encodedConfig["Volumes"] == nil)
        #expect((encodedConfig["Labels"] as? [String: Any])?.isEmpty == true)
        #expect(encoded["docker_version"] as? String == "20.10.23")
        #expect(encoded["container_config"] is [String: Any])
    }

    @Test("empty and absent values are distinct")
    func emptyVersusAbsent() throws {
        let json = #"{"Cmd": [], "Entrypoint": null, "Env": [], "Labels": {}, "ExposedPorts": {}, "Volumes": null}"#
        let config = try ImageFixtures.decode(ImageConfig.Config.self, json: json)
        #expect(config.cmd == [])
        #expect(config.entrypoint == nil)
        #expect(config.env == [])
        #expect(config.labels == [:])
        #expect(config.exposedPorts == [])
        #expect(config.volumes == nil)
        #expect(config.workingDir == nil)

        let object = try ImageFixtures.encodedObject(config)
        #expect(Set(object.keys) == ["Cmd", "Env", "Labels", "ExposedPorts"])
        #expect((object["Cmd"] as? [Any])?.isEmpty == true)
        #expect((object["ExposedPorts"] as? [String: Any])?.isEmpty == true)

        #expect(try ImageFixtures.encodedObject(ImageConfig.Config()).isEmpty)
    }

    @Test("ports and volumes encode as objects with empty values")
    func setsAsObjects() throws {
        let config = ImageConfig.Config(exposedPorts: ["80/tcp"], volumes: ["/data"])
        let object = try ImageFixtures.encodedObject(config)
        let ports = try #require(object["ExposedPorts"] as? [String: Any])
        #expect((ports["80/tcp"] as? [String: Any])?.isEmpty == true)
        let volumes = try #require(object["Volumes"] as? [String: Any])
        #expect(Set(volumes.keys) == ["/data"])
    }

    @Test("healthcheck durations are integer nanoseconds")
    func healthcheckDurations() throws {
        let check = ImageConfig.Healthcheck(
            test: ["NONE"], interval: .milliseconds(1500), timeout: .nanoseconds(1), startPeriod: .zero)
        let object = try ImageFixtures.encodedObject(check)
        #expect(object["Interval"] as? Int64 == 1_500_000_000)
        #expect(object["Timeout"] as? Int64 == 1)
        #expect(object["StartPeriod"] as? Int64 == 0)
        #expect(object["StartInterval"] == nil)
        #expect(object["Retries"] == nil)
        let back = try JSONDecoder().decode(ImageConfig.Healthcheck.self, from: JSONEncoder().encode(check))
        #expect(back == check)
    }

    @Test("minimal image config encodes only required fields")
    func minimalConfig() throws {
        let image = ImageConfig(architecture: "amd64", os: "linux")
        let object = try ImageFixtures.encodedObject(image)
        #expect(Set(object.keys) == ["architecture", "os", "rootfs"])
        let rootfs = try #require(object["rootfs"] as? [String: Any])
        #expect(rootfs["type"] as? String == "layers")
        #expect((rootfs["diff_ids"] as? [Any])?.isEmpty == true)
        #expect(throws: DecodingError.self) {
            try ImageFixtures.decode(ImageConfig.self, json: #"{"architecture": "amd64", "os": "linux"}"#)
        }
    }

    @Test("ImageConfig.platform reads and writes the platform fields")
    func configPlatform() {
        var image = ImageConfig(architecture: "amd64", os: "linux")
        image.platform = Platform(
            os: "windows", architecture: "arm64", variant: "v8", osVersion: "10.0", osFeatures: ["x"])
        #expect(image.os == "windows")
        #expect(image.architecture == "arm64")
        #expect(image.variant == "v8")
        #expect(image.osVersion == "10.0")
        #expect(image.osFeatures == ["x"])
    }

    // MARK: Descriptor

    @Test("minimal descriptors and manifests omit absent fields")
    func omitsAbsent() throws {
        let descriptor = Descriptor(mediaType: .ociLayerGzip, content: [1, 2, 3])
        #expect(Set(try ImageFixtures.encodedObject(descriptor).keys) == ["mediaType", "digest", "size"])
        let manifest = Manifest(config: descriptor)
        #expect(
            Set(try ImageFixtures.encodedObject(manifest).keys) == ["schemaVersion", "mediaType", "config", "layers"])
        #expect(Set(try ImageFixtures.encodedObject(Index()).keys) == ["schemaVersion", "mediaType", "manifests"])
        let descriptorJSON = String(decoding: try JSONEncoder().encode(descriptor), as: UTF8.self)
        let bare = try ImageFixtures.decode(Manifest.self, json: #"{"schemaVersion": 2, "config": \#(descriptorJSON)}"#)
        #expect(bare.mediaType == nil)
        #expect(bare.layers.isEmpty)
    }

    @Test("unknown media types decode and round-trip")
    func unknownMediaType() throws {
        let json = #"""
            {"mediaType": "application/vnd.example.thing.v1+cbor", "digest": "\#(DigestTests.abcSHA256)", "size": 3,
             "artifactType": "application/vnd.example.kind"}
            """#
        let descriptor = try ImageFixtures.decode(Descriptor.self, json: json)
        #expect(descriptor.mediaType == MediaType("application/vnd.example.thing.v1+cbor"))
        #expect(!descriptor.isLayer && !descriptor.isManifest && !descriptor.isIndex && !descriptor.isConfig)
        #expect(descriptor.mediaType.layerCompression == nil)
        #expect(descriptor.artifactType?.rawValue == "application/vnd.example.kind")
        let object = try ImageFixtures.encodedObject(descriptor)
        #expect(object["mediaType"] as? String == "application/vnd.example.thing.v1+cbor")
        #expect(object["artifactType"] as? String == "application/vnd.example.kind")
    }

    /// (base64, bytes): RFC 4648 test vectors.
    static let base64Vectors: [(String, String)] = [
        ("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"), ("+/+/", "\u{FB}\u{FF}\u{BF}"),
    ]

    @Test("descriptor data is base64", arguments: base64Vectors)
    func descriptorData(_ base64: String, _ text: String) throws {
        let bytes: [UInt8] =
            text.unicodeScalars.allSatisfy { $0.value < 0x80 }
            ? Array(text.utf8) : text.unicodeScalars.map { UInt8($0.value) }
        let json = #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": 3, "data": "\#(base64)"}"#
        let descriptor = try ImageFixtures.decode(Descriptor.self, json: json)
        #expect(descriptor.data == bytes)
        #expect(try ImageFixtures.encodedObject(descriptor)["data"] as? String == base64)
    }

    @Test(
        "malformed descriptors are rejected",
        arguments: [
            #"{"mediaType": "a/b", "digest": "sha256:abc", "size": 3}"#,
            #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": -1}"#,
            #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": 3, "data": "Zm9vYg="}"#,
            #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": 3, "data": "Zm9v!g=="}"#,
            #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": 3, "data": "Zh=="}"#,
            #"{"mediaType": "a/b", "digest": "\#(DigestTests.abcSHA256)", "size": 3, "data": "Zg==Zg=="}"#,
        ])
    func malformedDescriptor(_ json: String) throws {
        let error = try #require(throws: OCIError.self) { try ImageFixtures.decode(Descriptor.self, json: json) }
        #expect(error.code == .invalidArgument)
    }

    @Test("errors deep in a document name the JSON path")
    func errorPath() throws {
        var json = String(decoding: try ImageFixtures.data("oci-manifest.json"), as: UTF8.self)
        json = json.replacingOccurrences(of: "sha256:9912bee7", with: "sha256:9912BEE7")
        let error = try #require(throws: OCIError.self) { try ImageFixtures.decode(Manifest.self, json: json) }
        #expect(error.message.hasPrefix("layers[1].digest: invalid digest"), "message: \(error.message)")
    }

    @Test("descriptor accessors")
    func descriptorAccessors() {
        var descriptor = Descriptor(mediaType: .ociManifest, content: Array("x".utf8), embed: true)
        #expect(descriptor.data == [UInt8(ascii: "x")])
        #expect(descriptor.referenceName == nil)
        descriptor.setAnnotation(AnnotationKey.refName, "latest")
        descriptor.setAnnotation(AnnotationKey.title, "file.txt")
        #expect(descriptor.referenceName == "latest")
        #expect(descriptor.title == "file.txt")
        descriptor.setAnnotation(AnnotationKey.refName, nil)
        descriptor.setAnnotation(AnnotationKey.title, nil)
        #expect(descriptor.annotations == nil)
    }

    // MARK: Media types

    /// (media type, isIndex, isManifest, isConfig, isLayer, compression).
    static let mediaTypes: [(MediaType, Bool, Bool, Bool, Bool, MediaType.Compression?)] = [
        (.ociIndex, true, false, false, false, nil),
        (.dockerManifestList, true, false, false, false, nil),
        (.ociManifest, false, true, false, false, nil),
        (.dockerManifest, false, true, false, false, nil),
        (.dockerManifestSchema1Signed, false, false, false, false, nil),
        (.ociConfig, false, false, true, false, nil),
        (.dockerConfig, false, false, true, false, nil),
        (.ociLayer, false, false, false, true, MediaType.Compression.none),
        (.ociLayerGzip, false, false, false, true, .gzip),
        (.ociLayerZstd, false, false, false, true, .zstd),
        (.ociLayerNondistributable, false, false, false, true, MediaType.Compression.none),
        (.ociLayerNondistributableGzip, false, false, false, true, .gzip),
        (.ociLayerNondistributableZstd, false, false, false, true, .zstd),
        (.dockerLayer, false, false, false, true, MediaType.Compression.none),
        (.dockerLayerGzip, false, false, false, true, .gzip),
        (.dockerLayerZstd, false, false, false, true, .zstd),
        (.dockerForeignLayer, false, false, false, true, .gzip),
        ("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", false, false, false, true, .gzip),
        ("application/vnd.oci.image.index.v1+json; charset=utf-8", true, false, false, false, nil),
        (.ociEmpty, false, false, false, false, nil),
        ("text/plain", false, false, false, false, nil),
    ]

    @Test("media type classification", arguments: mediaTypes)
    func classification(
        _ type: MediaType, _ isIndex: Bool, _ isManifest: Bool, _ isConfig: Bool, _ isLayer: Bool,
        _ compression: MediaType.Compression?
    ) {
        #expect(type.isIndex == isIndex)
        #expect(Manifest.isIndex(mediaType: type) == isIndex)
        #expect(type.isManifest == isManifest)
        #expect(Manifest.isManifest(mediaType: type) == isManifest)
        #expect(type.isConfig == isConfig)
        #expect(type.isLayer == isLayer)
        #expect(type.layerCompression == compression)
    }

    @Test("media type constants")
    func mediaTypeConstants() {
        #expect(MediaType.ociManifest.rawValue == "application/vnd.oci.image.manifest.v1+json")
        #expect(MediaType.ociIndex.rawValue == "application/vnd.oci.image.index.v1+json")
        #expect(MediaType.ociConfig.rawValue == "application/vnd.oci.image.config.v1+json")
        #expect(MediaType.ociLayerZstd.rawValue == "application/vnd.oci.image.layer.v1.tar+zstd")
        #expect(MediaType.dockerManifestList.rawValue == "application/vnd.docker.distribution.manifest.list.v2+json")
        #expect(MediaType.dockerManifest.rawValue == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(MediaType.dockerConfig.rawValue == "application/vnd.docker.container.image.v1+json")
        #expect(MediaType.dockerLayerGzip.rawValue == "application/vnd.docker.image.rootfs.diff.tar.gzip")
        #expect(MediaType.dockerForeignLayer.rawValue == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
        #expect(MediaType.ociLayerGzip.isNondistributable == false)
        #expect(MediaType.ociLayerNondistributableGzip.isNondistributable)
    }

    // MARK: Image layout

    @Test("oci-layout file")
    func imageLayout() throws {
        let layout = try ImageFixtures.decode(ImageLayout.self, "oci-layout")
        #expect(layout == ImageLayout())
        try layout.validate()
        let error = try #require(throws: OCIError.self) { try ImageLayout(imageLayoutVersion: "2.0.0").validate() }
        #expect(error.code == .notImplemented)
        #expect(error.message.contains("\"2.0.0\""))
        let digest = try Digest(parsing: DigestTests.abcSHA256)
        #expect(ImageLayout.blobPath(for: digest) == "blobs/sha256/" + digest.encoded)
        #expect(ImageLayout.fileName == "oci-layout")
        #expect(ImageLayout.indexFileName == "index.json")
    }
}
