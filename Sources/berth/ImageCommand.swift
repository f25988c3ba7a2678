import ArgumentParser
import BerthAPI
import GRPCCore
import SwiftProtobuf

/// `berth image …`: images in berthd's image store.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images.",
        subcommands: [
            List.self, Remove.self, Tag.self, Inspect.self, Import.self, Export.self, Prune.self, PullCommand.self,
            PushCommand.self,
        ],
        aliases: ["img"]
    )

    /// `berth image ls` (and `berth images`).
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List images.", aliases: ["list"])

        @OptionGroup var client: ClientOptions

        @Flag(name: .shortAndLong, help: "Print only the names.")
        var quiet = false

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(name: .customLong("filter"), help: "containerd filter, e.g. name~=busybox (repeatable).")
        var filters: [String] = []

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                let details = try await daemon.run { grpc in
                    let queries = ImageQueries(grpc: grpc, metadata: daemon.metadata)
                    let records = try await queries.list(filters: filters)
                    if quiet { return records.map { ImageDetails(record: $0) } }
                    var out: [ImageDetails] = []
                    for record in records {
                        out.append(await queries.details(record))
                    }
                    return out
                }
                if quiet {
                    for image in details { print(image.name) }
                    return
                }
                switch format {
                case .json: print(try JSONOutput.encode(details.map(ImageSummary.init)))
                case .text: print(ImageSummary.table(details.map(ImageSummary.init)), terminator: "")
                }
            }
        }
    }

    /// `berth image rm NAME…`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove images.", aliases: ["remove", "rmi"])

        @OptionGroup var client: ClientOptions

        @Flag(help: "Collect the removed images' content and snapshots before returning.")
        var sync = false

        @Argument(help: "The images to remove.")
        var names: [String]

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                for name in names {
                    var request = Containerd_Services_Images_V1_DeleteImageRequest()
                    request.name = name
                    request.sync = sync
                    _ = try await daemon.run { grpc in
                        try await Containerd_Services_Images_V1_Images.Client(wrapping: grpc).delete(
                            request, metadata: daemon.metadata)
                    }
                    print(name)
                }
            }
        }
    }

    /// `berth image tag SOURCE TARGET`.
    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an image another name (replacing that name's target if it exists).")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The existing image.")
        var source: String

        @Argument(help: "The new name.")
        var target: String

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                let target = self.target
                try await daemon.run { grpc in
                    let queries = ImageQueries(grpc: grpc, metadata: daemon.metadata)
                    var image = Containerd_Services_Images_V1_Image()
                    image.name = target
                    image.target = try await queries.get(source).target
                    var create = Containerd_Services_Images_V1_CreateImageRequest()
                    create.image = image
                    do {
                        _ = try await queries.images.create(create, metadata: daemon.metadata)
                    } catch let error as RPCError where error.code == .alreadyExists {
                        var update = Containerd_Services_Images_V1_UpdateImageRequest()
                        update.image = image
                        update.updateMask.paths = ["target"]
                        _ = try await queries.images.update(update, metadata: daemon.metadata)
                    }
                }
                print(target)
            }
        }
    }
}

/// `berth images`: the same as `berth image ls`.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images (berth image ls).")

    @OptionGroup var list: ImageCommand.List

    func run() async throws {
        try await list.run()
    }
}
