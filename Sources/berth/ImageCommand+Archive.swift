import ArgumentParser
import BerthAPI
import BerthErrors
import BerthOCI
import BerthRegistry
import Foundation
import GRPCCore
import Logging
import SwiftProtobuf

extension ImageCommand {
    /// `berth image import FILE`: reads an OCI or docker archive here and
    /// writes its blobs through berthd's Content service, under a lease.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import images from an OCI archive, OCI layout directory or docker-archive.",
            discussion: """
                The archive is read here and its blobs are written through berthd's \
                content service; then berthd unpacks each image for its platform \
                (unless --no-unpack).
                """
        )

        @OptionGroup var client: ClientOptions

        @Option(name: .customLong("base-name"), help: "Name prefix for entries named only by a tag, or not at all.")
        var baseName: String?

        @Option(name: .customLong("index-name"), help: "Also name the whole index.json with this name.")
        var indexName: String?

        @Flag(name: .customLong("no-unpack"), help: "Only store the blobs; do not unpack the layers.")
        var noUnpack = false

        @Option(help: "The snapshotter to unpack into (default: the daemon's).")
        var snapshotter: String?

        @Argument(help: "The archive (.tar, .tar.gz, .tar.zst) or layout directory.")
        var file: String

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                let options = ImportOptions(baseName: baseName, indexName: indexName)
                let file = self.file
                let names = try await daemon.run { grpc in
                    try await ArchiveSession.withLease(grpc: grpc, metadata: daemon.metadata) { metadata in
                        let content = RemoteContent(grpc: grpc, metadata: metadata)
                        let records = try await ArchiveSession.local {
                            try await ImageArchives(store: content, logger: ArchiveSession.logger)
                                .importImages(from: file, options: options)
                        }
                        let images = Containerd_Services_Images_V1_Images.Client(wrapping: grpc)
                        for record in records {
                            var image = Containerd_Services_Images_V1_Image()
                            image.name = record.name
                            image.target = ArchiveSession.proto(record.target)
                            var create = Containerd_Services_Images_V1_CreateImageRequest()
                            create.image = image
                            do {
                                _ = try await images.create(create, metadata: daemon.metadata)
                            } catch let error as RPCError where error.code == .alreadyExists {
                                var update = Containerd_Services_Images_V1_UpdateImageRequest()
                                update.image = image
                                update.updateMask.paths = ["target"]
                                _ = try await images.update(update, metadata: daemon.metadata)
                            }
                        }
                        return records.map(\.name)
                    }
                }
                if !noUnpack {
                    var request = Berth_Services_Images_V1_UnpackRequest()
                    request.snapshotter = snapshotter ?? ""
                    try await daemon.run { grpc in
                        let transfer = Berth_Services_Images_V1_Transfer.Client(wrapping: grpc)
                        for name in names {
                            request.name = name
                            try await transfer.unpack(request, metadata: daemon.metadata) { response in
                                for try await _ in response.messages {}
                            }
                        }
                    }
                }
                for name in names { print(name) }
            }
        }
    }

    /// `berth image export FILE NAME…`: reads the images' blobs through
    /// berthd's Content service and writes the archive here.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export images to an OCI archive (or a docker-archive).")

        enum ArchiveFormat: String, ExpressibleByArgument, CaseIterable {
            case oci
            case docker
        }

        @OptionGroup var client: ClientOptions

        @Option(help: "Archive format: oci or docker.")
        var format: ArchiveFormat = .oci

        @Argument(help: "The archive to write.")
        var file: String

        @Argument(help: "The images to export.")
        var names: [String]

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                let (file, names, format) = (self.file, self.names, self.format)
                try await daemon.run { grpc in
                    let queries = ImageQueries(grpc: grpc, metadata: daemon.metadata)
                    var records: [ImageRecord] = []
                    for name in names {
                        let image = try await queries.get(name)
                        guard let digest = Digest(image.target.digest) else {
                            throw CLIError.local("image \(name) has an invalid target digest")
                        }
                        let target = Descriptor(
                            mediaType: MediaType(rawValue: image.target.mediaType), digest: digest,
                            size: image.target.size)
                        records.append(ImageRecord(name: name, target: target))
                    }
                    let archives = ImageArchives(
                        store: RemoteContent(grpc: grpc, metadata: daemon.metadata), logger: ArchiveSession.logger)
                    try await ArchiveSession.local {
                        switch format {
                        case .oci: try await archives.exportOCIArchive(records, to: file)
                        case .docker: try await archives.exportDockerArchive(records, to: file)
                        }
                    }
                }
                print(file)
            }
        }
    }
}

/// What import and export share.
enum ArchiveSession {
    static let logger: Logger = {
        var logger = Logger(label: "berth.image")
        logger.logLevel = .warning
        return logger
    }()

    /// How long an import's lease protects its blobs if the CLI dies midway.
    static let leaseExpiry: TimeInterval = 24 * 3600

    /// Runs `body` under a new lease (its id in the `containerd-lease`
    /// header), deleting the lease afterwards.
    static func withLease<T: Sendable>(
        grpc: GRPCClient<some ClientTransport>, metadata: Metadata, _ body: (Metadata) async throws -> T
    ) async throws -> T {
        let leases = Containerd_Services_Leases_V1_Leases.Client(wrapping: grpc)
        var create = Containerd_Services_Leases_V1_CreateRequest()
        create.id = "berth-import-\(UInt64(Date().timeIntervalSince1970 * 1e9))-\(UInt32.random(in: 0...UInt32.max))"
        let formatter = ISO8601DateFormatter()
        create.labels = ["containerd.io/gc.expire": formatter.string(from: Date().addingTimeInterval(leaseExpiry))]
        let lease = try await leases.create(create, metadata: metadata).lease.id
        var leased = metadata
        leased.addString(lease, forKey: "containerd-lease")
        var delete = Containerd_Services_Leases_V1_DeleteRequest()
        delete.id = lease
        do {
            let result = try await body(leased)
            _ = try await leases.delete(delete, metadata: metadata)
            return result
        } catch {
            _ = try? await leases.delete(delete, metadata: metadata)
            throw error
        }
    }

    /// Runs archive code: errors about the file (not from the daemon) exit with status 1.
    static func local<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RemoteContentError {
            let code = Status.Code(rawValue: error.code.grpcStatus).flatMap(RPCError.Code.init) ?? .unknown
            throw RPCError(code: code, message: error.message)
        } catch let error as RegistryError {
            throw CLIError.local(error.message)
        }
    }

    static func proto(_ descriptor: Descriptor) -> Containerd_Types_Descriptor {
        var proto = Containerd_Types_Descriptor()
        proto.mediaType = descriptor.mediaType.rawValue
        proto.digest = descriptor.digest.string
        proto.size = descriptor.size
        proto.annotations = descriptor.annotations ?? [:]
        return proto
    }
}
