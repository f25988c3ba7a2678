import BerthAPI
import BerthOCI
import BerthRegistry
import Synchronization

/// Turns the registry client's progress events into `BlobProgress` messages:
/// one stream of statuses per blob, from waiting through downloading (or
/// exists) to done, with `unpacking` in between for layers when unpacking.
final class PullProgressTracker: Sendable {
    private struct State {
        /// Every blob seen so far, by digest.
        var descriptors: [Digest: Descriptor] = [:]
        /// The last status sent per blob.
        var statuses: [Digest: Berth_Services_Images_V1_BlobStatus] = [:]
        /// Whether the waiting layers were announced.
        var announced = false
    }

    private let unpacking: Bool
    private let emit: @Sendable (Berth_Services_Images_V1_PullProgress) -> Void
    private let state = Mutex(State())

    init(unpacking: Bool, emit: @escaping @Sendable (Berth_Services_Images_V1_PullProgress) -> Void) {
        self.unpacking = unpacking
        self.emit = emit
    }

    /// The blob kind the API reports: index, manifest, config or layer.
    static func kind(_ descriptor: Descriptor) -> String {
        if descriptor.isIndex { return "index" }
        if descriptor.isManifest { return "manifest" }
        if descriptor.isConfig { return "config" }
        return "layer"
    }

    /// Announces the chosen manifest's config and layers as waiting (once).
    func announce(_ image: PulledImage) {
        let fresh: [Descriptor] = state.withLock { state in
            guard !state.announced else { return [] }
            state.announced = true
            return ([image.manifest.config] + image.manifest.layers).filter { state.descriptors[$0.digest] == nil }
        }
        for descriptor in fresh {
            send(descriptor, status: .waiting, offset: 0)
        }
    }

    /// Handles one registry event.
    func handle(_ event: PullProgress) {
        switch event {
        case .resolved(let descriptor):
            send(descriptor, status: .waiting, offset: 0)
        case .exists(let descriptor):
            send(descriptor, status: .exists, offset: descriptor.size)
        case .started(let descriptor, let offset):
            send(descriptor, status: .downloading, offset: offset)
        case .progress(let digest, let bytes, let total):
            guard let descriptor = known(digest) else { return }
            send(descriptor, status: bytes >= total ? .verifying : .downloading, offset: bytes)
        case .retrying(let digest, let offset, let attempt, let reason):
            guard let descriptor = known(digest) else { return }
            send(descriptor, status: .retrying, offset: offset, detail: "attempt \(attempt): \(reason)")
        case .done(let descriptor):
            let status: Berth_Services_Images_V1_BlobStatus =
                unpacking && Self.kind(descriptor) == "layer" ? .unpacking : .done
            send(descriptor, status: status, offset: descriptor.size)
        }
    }

    /// The layers are being unpacked from the store.
    func unpacking(_ layers: [Descriptor]) {
        for layer in layers {
            send(layer, status: .unpacking, offset: layer.size)
        }
    }

    /// The layers are unpacked: reports each as done.
    func unpacked(_ layers: [Descriptor]) {
        for layer in layers {
            send(layer, status: .done, offset: layer.size)
        }
    }

    private func known(_ digest: Digest) -> Descriptor? {
        state.withLock { $0.descriptors[digest] }
    }

    private func send(
        _ descriptor: Descriptor, status: Berth_Services_Images_V1_BlobStatus, offset: Int64, detail: String = ""
    ) {
        let changed: Bool = state.withLock { state in
            state.descriptors[descriptor.digest] = state.descriptors[descriptor.digest] ?? descriptor
            let previous = state.statuses[descriptor.digest]
            // A blob that is finished stays finished (a layer shared by two
            // manifests reports once).
            if previous == .done, status != .done { return false }
            if previous == .done, status == .done { return false }
            state.statuses[descriptor.digest] = status
            return true
        }
        guard changed else { return }
        var blob = Berth_Services_Images_V1_BlobProgress()
        blob.kind = Self.kind(descriptor)
        blob.digest = descriptor.digest.string
        blob.mediaType = descriptor.mediaType.rawValue
        blob.total = descriptor.size
        blob.offset = offset
        blob.status = status
        blob.detail = detail
        var message = Berth_Services_Images_V1_PullProgress()
        message.blob = blob
        emit(message)
    }
}
