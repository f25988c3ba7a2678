import BerthErrors
import BerthMetadata
import BerthOCI
import BerthRegistry
import BerthTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Pull from a real docker-registry", .serialized, .enabled(if: RegistryFixture.isAvailable))
struct PullTests {
    @Test("pull by tag: blobs verified into the store with containerd's labels; a second pull finds them")
    func pullByTag() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(registry.host)/library/busybox:latest")
        let store = try TestStore()
        defer { store.remove() }
        let events = EventLog<PullProgress>()
        let reference = try ImageReference(parsing: "\(registry.host)/library/busybox")

        let result = try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.pull(reference, into: store.access, options: PullOptions(progress: { events.append($0) }))
        }
        #expect(result.name == "\(registry.host)/library/busybox:latest")
        #expect(result.target.digest == images.manifestDigest)
        #expect(result.target.mediaType == .ociManifest)
        let image = try #require(result.images.first)
        #expect(image.config?.platform.normalized.architecture == Platform.host.architecture)
        let layer = try #require(image.manifest.layers.first)
        for digest in [images.manifestDigest, image.manifest.config.digest, layer.digest] {
            #expect(try store.has(digest))
        }
        let manifestLabels = try store.labels(images.manifestDigest)
        #expect(manifestLabels["containerd.io/gc.ref.content.config"] == image.manifest.config.digest.description)
        #expect(manifestLabels["containerd.io/gc.ref.content.l.0"] == layer.digest.description)
        #expect(try store.labels(layer.digest)["containerd.io/distribution.source.127.0.0.1"] == "library/busybox")
        #expect(events.all.contains(.resolved(result.target)))
        #expect(events.all.contains(.done(layer)))
        #expect(events.all.contains(.progress(layer.digest, bytes: layer.size, total: layer.size)))

        // The record goes into the image store (create, then replace on a second put).
        let imageStore = ImageStore(database: store.database)
        try imageStore.put([result.record], namespace: "default")
        try imageStore.put([result.record], namespace: "default")
        #expect(try imageStore.get(namespace: "default", name: result.name).target == result.target)

        let again = try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.pull(reference, into: store.access)
        }
        #expect(
            again.existingBlobs.isSuperset(of: [layer.digest, image.manifest.config.digest, images.manifestDigest]))
    }

    @Test("pull by digest, and by tag plus digest; a missing tag or repository is notFound")
    func pullByDigest() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(registry.host)/busybox:v1")
        let store = try TestStore()
        defer { store.remove() }
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            for text in [
                "\(registry.host)/busybox@\(images.manifestDigest)",
                "\(registry.host)/busybox:v1@\(images.manifestDigest)",
            ] {
                let result = try await client.pull(ImageReference(parsing: text), into: store.access)
                #expect(result.target.digest == images.manifestDigest)
            }
            let resolved = try await client.resolve(ImageReference(parsing: "\(registry.host)/busybox:v1"))
            #expect(resolved.descriptor.digest == images.manifestDigest)

            let missingTag = await errorCode {
                _ = try await client.pull(ImageReference(parsing: "\(registry.host)/busybox:nope"), into: store.access)
            }
            #expect(missingTag?.0 == .notFound)
            let missingRepo = await errorCode {
                _ = try await client.resolve(ImageReference(parsing: "\(registry.host)/nothing/here"))
            }
            #expect(missingRepo?.0 == .notFound)
            let missingDigest = await errorCode {
                _ = try await client.resolve(
                    ImageReference(parsing: "\(registry.host)/busybox@sha256:" + String(repeating: "0", count: 64)))
            }
            #expect(missingDigest?.0 == .notFound)
        }
    }

    @Test("multi-platform index: the best platform match is chosen; --all-platforms fetches every manifest")
    func multiPlatform() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.multiLayout, tag: "multi", to: "\(registry.host)/multi:latest", all: true)
        let reference = try ImageReference(parsing: "\(registry.host)/multi:latest")
        try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            let store = try TestStore()
            defer { store.remove() }
            let arm64 = try await client.pull(
                reference, into: store.access,
                options: PullOptions(platform: PlatformMatcher(try Platform(parsing: "linux/arm64"))))
            #expect(arm64.target.digest == images.indexDigest)
            #expect(arm64.target.mediaType.isIndex)
            #expect(arm64.images.map(\.descriptor.digest) == [images.arm64ManifestDigest])
            #expect(arm64.images.first?.config?.architecture == "arm64")
            #expect(
                try store.labels(images.indexDigest)["containerd.io/gc.ref.content.m.0"]
                    == images.arm64ManifestDigest.description)
            let index = try JSONDecoder().decode(Index.self, from: Data(try store.bytes(images.indexDigest)))
            let other = try #require(index.manifests.first { $0.digest != images.arm64ManifestDigest })
            #expect(try !store.has(other.digest), "the other platform's manifest was not fetched")

            let allStore = try TestStore()
            defer { allStore.remove() }
            let all = try await client.pull(reference, into: allStore.access, options: PullOptions(allPlatforms: true))
            #expect(Set(all.images.map(\.descriptor.digest)) == Set(index.manifests.map(\.digest)))

            let none = await errorCode {
                _ = try await client.pull(
                    reference, into: allStore.access,
                    options: PullOptions(platform: PlatformMatcher(try Platform(parsing: "linux/s390x"))))
            }
            #expect(none?.0 == .notFound)
            #expect(none?.1.contains("no manifest for platform linux/s390x") == true)
        }
    }

    @Test("a layer sink receives every layer byte while it downloads")
    func layerSink() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(registry.host)/sink:latest")
        let store = try TestStore()
        defer { store.remove() }
        let received = Mutex<[Digest: Task<[UInt8], any Error>]>([:])
        let sink = LayerStreamSink { layer, index, image, stream in
            #expect(image.config?.rootfs.diffIDs.count == image.manifest.layers.count)
            #expect(index == 0)
            let reader = Task {
                var bytes: [UInt8] = []
                for try await chunk in stream { bytes += chunk }
                return bytes
            }
            received.withLock { $0[layer.digest] = reader }
        }
        let result = try await withClient(makeClient(plainHTTP: [registry.host])) { client in
            try await client.pull(
                ImageReference(parsing: "\(registry.host)/sink:latest"), into: store.access,
                options: PullOptions(layerSink: sink))
        }
        let layer = try #require(result.images.first?.manifest.layers.first)
        #expect(result.streamedLayers == [layer.digest])
        let task = try #require(received.withLock { $0[layer.digest] })
        #expect(try await task.value == (try store.bytes(layer.digest)))
    }

    @Test("documents over the size limit are refused")
    func manifestLimit() async throws {
        let images = try await TestImages.shared.paths()
        let registry = try await RegistryFixture.start()
        defer { registry.stop() }
        try skopeoPush(layout: images.layout, tag: "latest", to: "\(registry.host)/limit:latest")
        let store = try TestStore()
        defer { store.remove() }
        let client = makeClient(plainHTTP: [registry.host], limits: RegistryLimits(maxManifestSize: 64))
        try await withClient(client) { client in
            let failure = await errorCode {
                _ = try await client.pull(ImageReference(parsing: "\(registry.host)/limit:latest"), into: store.access)
            }
            #expect(failure?.0 == .resourceExhausted)
        }
        let small = makeClient(plainHTTP: [registry.host], limits: RegistryLimits(maxConfigSize: 16))
        try await withClient(small) { client in
            let failure = await errorCode {
                _ = try await client.pull(ImageReference(parsing: "\(registry.host)/limit:latest"), into: store.access)
            }
            #expect(failure?.0 == .resourceExhausted)
        }
    }
}
