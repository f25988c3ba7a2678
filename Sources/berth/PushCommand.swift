import ArgumentParser
import BerthAPI
import BerthOCI
import BerthRegistry
import Foundation
import GRPCCore

/// `berth push REF [LOCAL]` (also `berth image push`): reads the image's
/// blobs through berthd's Content service and pushes them from here with
/// `BerthRegistry`'s pusher.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image to a registry.",
        discussion: """
            The push runs here: the image's manifests and blobs are read through \
            berthd's content service and uploaded (blobs the registry already has \
            are skipped). The image pushed is LOCAL if given, else the image named \
            REF. Children of an index that are not in the store (platforms that \
            were not pulled) are skipped. One line per blob shows its progress.
            """
    )

    @OptionGroup var client: ClientOptions

    @Flag(name: .customLong("plain-http"), help: "Talk to the registry over plain HTTP.")
    var plainHTTP = false

    @Option(name: .customLong("hosts-dir"), help: "A hosts.toml directory (certs.d layout).")
    var hostsDirectory: String?

    @Option(name: .shortAndLong, help: "Registry credentials, USER[:PASSWORD].")
    var user: String?

    @Option(name: .customLong("chunk-size"), help: "Upload blobs in chunks of this many bytes (default: one PUT).")
    var chunkSize: Int?

    @Flag(name: .shortAndLong, help: "Print only the pushed reference when done.")
    var quiet = false

    @Argument(help: "The registry reference to push to, e.g. registry.example.com/team/app:v1.")
    var reference: String

    @Argument(help: "The local image to push (default: REF).")
    var local: String?

    func run() async throws {
        try await reportingErrors {
            let target: ImageReference
            do {
                target = try ImageReference(parsing: reference)
            } catch {
                throw CLIError.local("invalid reference \"\(reference)\": \(error)")
            }
            var credentials: [String: RegistryCredentials] = [:]
            if let user {
                let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                credentials[target.domain] = RegistryCredentials(
                    username: String(parts[0]), secret: parts.count > 1 ? String(parts[1]) : "")
            }
            let configuration = RegistryClient.Configuration(
                hosts: RegistryHosts(plainHTTP: plainHTTP ? [target.domain] : [], hostsDirectory: hostsDirectory),
                credentials: StaticCredentials(credentials))
            let daemon = client.client
            let names = local.map { [$0] } ?? [reference, target.description]
            let display = PushDisplay(silent: quiet)
            let options = PushOptions(chunkSize: chunkSize, progress: { display.update($0) })
            let root = try await daemon.run { grpc in
                let root = try await Self.localImage(
                    names, queries: ImageQueries(grpc: grpc, metadata: daemon.metadata))
                let registry = RegistryClient(configuration: configuration, logger: ArchiveSession.logger)
                do {
                    try await ArchiveSession.local {
                        try await registry.push(
                            root, to: target, from: RemoteContent(grpc: grpc, metadata: daemon.metadata),
                            options: options)
                    }
                    try await registry.shutdown()
                } catch {
                    try? await registry.shutdown()
                    throw error
                }
                return root
            }
            print(quiet ? target.description : "\(target.description): \(root.digest)")
        }
    }

    /// The first of `names` that berthd's image store has, as a descriptor.
    static func localImage(_ names: [String], queries: ImageQueries) async throws -> Descriptor {
        var lastError: (any Error)?
        for name in names {
            do {
                let image = try await queries.get(name)
                guard let digest = Digest(image.target.digest) else {
                    throw CLIError.local("image \(name) has an invalid target digest")
                }
                return Descriptor(
                    mediaType: MediaType(rawValue: image.target.mediaType), digest: digest, size: image.target.size)
            } catch let error as RPCError where error.code == .notFound {
                lastError = error
            }
        }
        throw lastError ?? CLIError.local("no image to push")
    }
}
