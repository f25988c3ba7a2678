import ArgumentParser
import BerthAPI
import BerthOCI
import Foundation

/// One row of `berth image ls`.
struct ImageSummary: Codable {
    var name: String
    var digest: String
    var mediaType: String
    var size: Int64?
    var platform: String?
    var createdAt: Date
    var updatedAt: Date
    var labels: [String: String]

    init(_ details: ImageDetails) {
        name = details.name
        digest = details.record.target.digest
        mediaType = details.record.target.mediaType
        size = details.size
        platform = details.platform
        createdAt = ImageDetails.date(details.record.createdAt)
        updatedAt = ImageDetails.date(details.record.updatedAt)
        labels = details.record.labels
    }

    /// `NAME DIGEST SIZE PLATFORM CREATED`; the digest shortened to 12 hex digits.
    static func table(_ rows: [ImageSummary]) -> String {
        var table = Table("NAME", "DIGEST", "SIZE", "PLATFORM", "CREATED")
        let dates = ISO8601DateFormatter()
        for row in rows {
            let short = row.digest.hasPrefix("sha256:") ? String(row.digest.prefix(7 + 12)) : row.digest
            table.append([
                row.name, short, row.size.map(ByteFormat.size) ?? "-", row.platform ?? "-",
                dates.string(from: row.createdAt),
            ])
        }
        return table.render()
    }
}

/// What `berth image inspect` prints.
struct ImageInspection: Codable {
    var name: String
    var target: Descriptor?
    var labels: [String: String]
    var createdAt: Date
    var updatedAt: Date
    var platform: String?
    var size: Int64?
    var manifest: Descriptor?
    var layers: [Descriptor]?
    var config: ImageConfig?

    init(_ details: ImageDetails) {
        name = details.name
        target = Digest(details.record.target.digest).map {
            Descriptor(
                mediaType: MediaType(rawValue: details.record.target.mediaType), digest: $0,
                size: details.record.target.size)
        }
        labels = details.record.labels
        createdAt = ImageDetails.date(details.record.createdAt)
        updatedAt = ImageDetails.date(details.record.updatedAt)
        platform = details.platform
        size = details.size
        manifest = details.manifestDescriptor
        layers = details.manifest?.layers
        config = details.config
    }

    var text: String {
        var lines = ["Name:        \(name)"]
        if let target {
            lines.append("Digest:      \(target.digest)")
            lines.append("Media type:  \(target.mediaType)")
        }
        lines.append("Created:     \(ISO8601DateFormatter().string(from: createdAt))")
        if !labels.isEmpty {
            lines.append(
                "Labels:      "
                    + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        if let platform { lines.append("Platform:    \(platform)") }
        if let size { lines.append("Size:        \(ByteFormat.size(size)) (compressed)") }
        if let manifest { lines.append("Manifest:    \(manifest.digest)") }
        if let layers {
            lines.append("Layers:      \(layers.count)")
            for layer in layers {
                lines.append("  \(layer.digest)  \(ByteFormat.size(layer.size))")
            }
        }
        if let process = config?.config {
            if let entrypoint = process.entrypoint { lines.append("Entrypoint:  \(entrypoint)") }
            if let cmd = process.cmd { lines.append("Cmd:         \(cmd)") }
            if let env = process.env { lines.append("Env:         \(env.joined(separator: " "))") }
            if let dir = process.workingDir, !dir.isEmpty { lines.append("WorkingDir:  \(dir)") }
            if let user = process.user, !user.isEmpty { lines.append("User:        \(user)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ImageCommand {
    /// `berth image inspect NAME…`.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an image's record, manifest and config.")

        @OptionGroup var client: ClientOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Argument(help: "The images to inspect.")
        var names: [String]

        func run() async throws {
            try await reportingErrors {
                let daemon = client.client
                let names = self.names
                let details = try await daemon.run { grpc in
                    let queries = ImageQueries(grpc: grpc, metadata: daemon.metadata)
                    var out: [ImageDetails] = []
                    for name in names {
                        out.append(await queries.details(try await queries.get(name)))
                    }
                    return out
                }
                let inspections = details.map(ImageInspection.init)
                switch format {
                case .json: print(try JSONOutput.encode(inspections))
                case .text: print(inspections.map(\.text).joined(separator: "\n"), terminator: "")
                }
            }
        }
    }
}
