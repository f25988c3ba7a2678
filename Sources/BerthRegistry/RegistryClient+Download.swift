import AsyncHTTPClient
import BerthErrors
import BerthOCI
import Logging
import NIOCore
import NIOHTTP1

/// One blob to download into the content store.
struct BlobDownload: Sendable {
    var descriptor: Descriptor
    /// containerd's ingest ref prefix: `layer`, `config`, `manifest`, `index`.
    var kind: String
    var reference: ImageReference
    var labels: [String: String]
    var consumer: (any LayerConsumer)?
    var progress: (@Sendable (PullProgress) -> Void)?

    var ref: String { "\(kind)-\(descriptor.digest)" }
}

extension RegistryClient {
    /// Bytes gathered before one store write (and one sink push).
    static let writeChunkSize = 1 << 20
    /// Progress is reported at most once per this many bytes.
    static let progressInterval: Int64 = 1 << 20

    /// Downloads a blob into `store`, verifying digest and size as the bytes
    /// stream and resuming a broken transfer with `Range` from the ingest's offset.
    ///
    /// - Returns: false if the blob was already in the store.
    @discardableResult
    func download(_ job: BlobDownload, endpoints: [RegistryEndpoint], store: any ContentAccess) async throws -> Bool {
        let descriptor = job.descriptor
        if try await store.committedSize(of: descriptor.digest) != nil {
            try await store.addLabels(job.labels, to: descriptor.digest)
            job.progress?(.exists(descriptor))
            return false
        }
        guard let writer = try await openWriter(job, store: store) else {
            try await store.addLabels(job.labels, to: descriptor.digest)
            job.progress?(.exists(descriptor))
            return false
        }
        do {
            try await transfer(job, endpoints: endpoints, writer: writer)
        } catch {
            if Self.spoilsIngest(error) {
                await writer.discard()
            } else {
                await writer.close()
            }
            await job.consumer?.abort(error)
            throw error
        }
        do {
            try await job.consumer?.finish()
        } catch {
            throw RegistryError.wrap(error, "layer sink for \(descriptor.digest)")
        }
        job.progress?(.done(descriptor))
        return true
    }

    /// True when a failed download's ingest is worthless and is removed rather
    /// than kept for a resume: the registry sent bytes that do not match the
    /// descriptor (`.failedPrecondition`: digest or size mismatch, a stream
    /// longer than the descriptor), or the layer sink refused the layer
    /// (`.aborted`: a hostile or oversized layer; a streamed layer restarts
    /// from 0 anyway). Transport failures and cancellation keep the ingest.
    static func spoilsIngest(_ error: any Error) -> Bool {
        guard let error = error as? RegistryError else { return false }
        return error.code == .failedPrecondition || error.code == .aborted
    }

    /// Opens the ingest, waiting while another writer holds it; `nil` if the blob appeared meanwhile.
    private func openWriter(_ job: BlobDownload, store: any ContentAccess) async throws -> (any ContentIngest)? {
        var attempt = 1
        while true {
            do {
                return try await store.openWriter(
                    ref: job.ref, total: job.descriptor.size, expected: job.descriptor.digest)
            } catch let error as any BerthError where error.code == .alreadyExists {
                return nil
            } catch let error as any BerthError where error.code == .unavailable {
                // Another pull is writing this blob; wait for it, then look again.
                guard attempt < configuration.retry.maxAttempts * 4 else {
                    throw RegistryError.wrap(error, "ingest \(job.ref) stays locked")
                }
                try await backOff(afterAttempt: min(attempt, 4))
                attempt += 1
                if try await store.committedSize(of: job.descriptor.digest) != nil { return nil }
            }
        }
    }

    private func transfer(_ job: BlobDownload, endpoints: [RegistryEndpoint], writer: any ContentIngest) async throws {
        let descriptor = job.descriptor
        var offset = try await writer.currentOffset()
        if offset > descriptor.size || (offset > 0 && job.consumer != nil) {
            // Too long to be ours, or a sink needs every byte: start over.
            try await writer.restart()
            offset = 0
        }
        // A fresh ingest is verified as it streams; a resumed one by the store at commit.
        var verifier: DigestVerifier? = offset == 0 ? DigestVerifier(descriptor: descriptor) : nil
        job.progress?(.started(descriptor, offset: offset))

        // Endpoints in hosts order. An endpoint that fails before sending anything
        // hands over to the next at once; a broken transfer resumes on the same
        // endpoint after a back-off; the last endpoint is retried per the policy.
        var endpointIndex = 0
        var failures = 0
        var totalFailures = 0
        while offset < descriptor.size {
            let endpoint = endpoints[endpointIndex]
            let before = offset
            do {
                try await fetchRange(job, from: endpoint, offset: &offset, writer: writer, verifier: &verifier)
            } catch let error as CancellationError {
                throw error
            } catch {
                offset = try await writer.currentOffset()
                let progressed = offset > before
                let hasNext = endpointIndex + 1 < endpoints.count
                let retryable = Self.isRetryable(error)
                if (error as? RegistryError)?.code == .failedPrecondition {
                    try? await writer.restart()
                }
                if !progressed, hasNext, retryable || (error as? RegistryError)?.code == .notFound {
                    logger.debug(
                        "blob endpoint failed; trying the next",
                        metadata: [
                            "digest": "\(descriptor.digest)", "endpoint": "\(endpoint.apiRoot)", "error": "\(error)",
                        ])
                    endpointIndex += 1
                    failures = 0
                    continue
                }
                guard retryable else {
                    throw RegistryError.wrap(error, "fetch \(descriptor.digest) from \(job.reference.name)")
                }
                failures = progressed ? 1 : failures + 1
                totalFailures += 1
                guard failures < configuration.retry.maxAttempts, totalFailures < configuration.retry.maxAttempts * 4
                else {
                    throw RegistryError.wrap(
                        error,
                        "fetch \(descriptor.digest) from \(job.reference.name) (gave up after \(totalFailures) failures)"
                    )
                }
                logger.debug(
                    "blob download interrupted; resuming",
                    metadata: ["digest": "\(descriptor.digest)", "offset": "\(offset)", "error": "\(error)"])
                job.progress?(.retrying(descriptor.digest, offset: offset, attempt: totalFailures, reason: "\(error)"))
                try await backOff(afterAttempt: failures)
            }
        }

        if let verifier, !verifier.isVerified {
            try? await writer.restart()
            throw RegistryError(
                .failedPrecondition,
                "blob \(descriptor.digest) from \(job.reference.name): digest mismatch: expected \(descriptor.digest), "
                    + "actual \(verifier.actual)")
        }
        do {
            try await writer.commit(size: descriptor.size, expected: descriptor.digest, labels: job.labels)
        } catch let error as any BerthError where error.code == .alreadyExists {
            await writer.close()
        } catch let error as any BerthError where error.code == .failedPrecondition {
            try? await writer.restart()
            throw RegistryError(
                .failedPrecondition, "blob \(descriptor.digest) from \(job.reference.name): \(error.message)")
        }
    }

    /// One GET of the blob from `offset`; appends what arrives. Returns normally
    /// only when the blob is complete; a short body throws a retryable error.
    private func fetchRange(
        _ job: BlobDownload, from endpoint: RegistryEndpoint, offset: inout Int64, writer: any ContentIngest,
        verifier: inout DigestVerifier?
    ) async throws {
        let descriptor = job.descriptor
        let size = descriptor.size
        let url = apiURL(endpoint, job.reference, "blobs/\(descriptor.digest)")
        var headers = HTTPHeaders()
        if offset > 0 {
            headers.add(name: "Range", value: "bytes=\(offset)-")
        }
        let response = try await perform(
            RegistryRequest(
                method: .GET, url: url, headers: headers, scopes: [Self.pullScope(job.reference)], isTransfer: true),
            endpoint: endpoint)
        var skip: Int64 = 0
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        switch response.status.code {
        case 200:
            skip = offset  // the server ignored Range: drop what we have
            if let length, length != size {
                await discard(response)
                throw RegistryError(
                    .failedPrecondition,
                    "size mismatch: the registry has \(length) bytes, the descriptor says \(size)")
            }
        case 206:
            let start = Self.contentRangeStart(response.headers.first(name: "Content-Range"))
            guard let start, start <= offset else {
                await discard(response)
                throw RegistryError(.unavailable, "unusable Content-Range for a resume at \(offset)")
            }
            skip = offset - start
            if let length, start + length > size {
                await discard(response)
                throw RegistryError(
                    .failedPrecondition,
                    "size mismatch: the registry has more than the descriptor's \(size) bytes")
            }
        case 404:
            await discard(response)
            throw RegistryError(.notFound, "blob not found at \(endpoint.apiRoot)")
        case 416:
            await discard(response)
            throw RegistryError(
                .failedPrecondition,
                "size mismatch: the registry has fewer bytes than the descriptor's \(size) (range from \(offset) refused)"
            )
        default:
            throw await unexpected(response, "GET \(url)")
        }

        var pending: [UInt8] = []
        pending.reserveCapacity(Self.writeChunkSize)
        var lastReport = offset
        func flush() async throws {
            guard !pending.isEmpty else { return }
            try await writer.append(pending)
            verifier?.update(pending)
            if let consumer = job.consumer {
                do {
                    try await consumer.consume(pending)
                } catch {
                    throw RegistryError(.aborted, "layer sink failed: \(error)")
                }
            }
            offset += Int64(pending.count)
            pending.removeAll(keepingCapacity: true)
            if offset - lastReport >= Self.progressInterval || offset == size {
                lastReport = offset
                job.progress?(.progress(descriptor.digest, bytes: offset, total: size))
            }
        }
        do {
            for try await buffer in response.body {
                var view = buffer.readableBytesView[...]
                if skip > 0 {
                    let dropped = min(Int64(view.count), skip)
                    view = view.dropFirst(Int(dropped))
                    skip -= dropped
                }
                guard offset + Int64(pending.count) + Int64(view.count) <= size else {
                    throw RegistryError(
                        .failedPrecondition,
                        "size mismatch: the registry sent more than the descriptor's \(size) bytes")
                }
                pending += view
                if pending.count >= Self.writeChunkSize {
                    try await flush()
                }
            }
        } catch let error as any BerthError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            // The connection broke: keep what arrived, the retry resumes after it.
            try await flush()
            throw RegistryError(.unavailable, "download broke at \(offset + Int64(pending.count)) of \(size): \(error)")
        }
        try await flush()
        if offset < size {
            throw RegistryError(.unavailable, "connection closed after \(offset) of \(size) bytes")
        }
    }

    /// The first byte of `Content-Range: bytes start-end/total`.
    static func contentRangeStart(_ header: String?) -> Int64? {
        guard var text = header?.trimmingPrefix("bytes").drop(while: { $0 == " " }) else { return nil }
        if text.hasPrefix("=") { text = text.dropFirst() }
        return Int64(text.prefix { $0.isNumber })
    }
}
