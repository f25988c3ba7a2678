import BerthErrors
import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import Testing

@Suite("Push to a real docker-registry", .serialized, .enabled(if: RegistryFixture.isAvailable))
struct PushTests {
    static func digestAt(_ reference: String) throws -> Digest {
        Digest.sha256(of: try skopeoInspectRaw("docker://\(reference)", extra: ["--tls-verify=false"]))
    }

    @Test("monolithic push (POST + PUT), then skopeo sees the same manifest and Berth pulls it back")
    func monolithic() async throws {
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        let (source, record) = try await AuthTests.sourceStore()
        defer { source.remove() }
        let events = EventLog<PushProgress>()
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/mono/busybox:v1"), from: source.access,
                options: PushOptions(progress: { events.append($0) }))
        }
        #expect(try Self.digestAt("\(registry.host)/mono/busybox:v1") == record.target.digest)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try source.bytes(record.target.digest)))
        for blob in manifest.blobs {
            #expect(events.all.contains(.uploaded(blob.digest, bytes: blob.size, total: blob.size)))
            #expect(events.all.contains(.done(blob)))
        }

        // Pushing again skips every blob (HEAD answers 200).
        let again = EventLog<PushProgress>()
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/mono/busybox:v1"), from: source.access,
                options: PushOptions(progress: { again.append($0) }))
            let store = try TestStore()
            defer { store.remove() }
            let pulled = try await client.pull(
                ImageReference(parsing: "\(registry.host)/mono/busybox:v1"), into: store.access)
            #expect(pulled.target.digest == record.target.digest)
        }
        for blob in manifest.blobs {
            #expect(again.all.contains(.exists(blob)))
        }
    }

    @Test("chunked push: PATCH with Content-Range per chunk, then PUT")
    func chunked() async throws {
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        let (source, record) = try await AuthTests.sourceStore()
        defer { source.remove() }
        let events = EventLog<PushProgress>()
        let chunk = 256 << 10
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/chunked/busybox:v1"),
                from: source.access, options: PushOptions(chunkSize: chunk, progress: { events.append($0) }))
        }
        #expect(try Self.digestAt("\(registry.host)/chunked/busybox:v1") == record.target.digest)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try source.bytes(record.target.digest)))
        let layer = try #require(manifest.layers.first)
        let steps = events.all.compactMap { event -> Int64? in
            if case .uploaded(layer.digest, let bytes, _) = event { bytes } else { nil }
        }
        let expected = stride(from: Int64(chunk), to: layer.size, by: chunk).map { $0 } + [layer.size]
        #expect(steps == expected)
    }

    @Test("cross-repository mount: from a named repository, and from a pulled blob's distribution-source label")
    func mount() async throws {
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        let (source, record) = try await AuthTests.sourceStore()
        defer { source.remove() }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try source.bytes(record.target.digest)))
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/team/a:v1"), from: source.access)

            let named = EventLog<PushProgress>()
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/team/b:v1"), from: source.access,
                options: PushOptions(mountFrom: ["team/a"], progress: { named.append($0) }))
            for blob in manifest.blobs {
                #expect(named.all.contains(.mounted(blob, from: "team/a")))
            }

            // A pull labels blobs with their source repository; a push elsewhere mounts from it.
            let pulled = try TestStore()
            defer { pulled.remove() }
            _ = try await client.pull(ImageReference(parsing: "\(registry.host)/team/a:v1"), into: pulled.access)
            let labelled = EventLog<PushProgress>()
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/team/c:v1"), from: pulled.access,
                options: PushOptions(progress: { labelled.append($0) }))
            for blob in manifest.blobs {
                #expect(labelled.all.contains(.mounted(blob, from: "team/a")))
            }
        }
        for repository in ["team/b", "team/c"] {
            #expect(try Self.digestAt("\(registry.host)/\(repository):v1") == record.target.digest)
        }
    }

    @Test("a multi-platform index is pushed whole and keeps its digest")
    func multiPlatform() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        let store = try TestStore()
        defer { store.remove() }
        let records = try await ImageArchives(store: store.access, logger: testLogger)
            .importImages(from: images.multiLayout, options: ImportOptions(baseName: "\(registry.host)/multi"))
        let record = try #require(records.first)
        #expect(record.target.digest == images.indexDigest)
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.push(
                record.target, to: ImageReference(parsing: "\(registry.host)/multi:pushed"), from: store.access)
        }
        #expect(try Self.digestAt("\(registry.host)/multi:pushed") == images.indexDigest)
    }
}
