import ArgumentParser
import BerthAPI
import BerthSystem
import Foundation
import SwiftProtobuf

/// `berth version`: this client's version and what berthd reports.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the client and daemon versions.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    /// What the daemon reports.
    struct Server: Codable {
        /// The containerd API version berthd speaks (ctr compares it with its own).
        var apiVersion: String
        var revision: String
        var uuid: String
    }

    struct Report: Codable {
        var client: String
        var server: Server?
    }

    func run() async throws {
        try await reportingErrors {
            var report = Report(client: BerthBuild.version, server: nil)
            var failure: CLIError?
            do {
                report.server = try await client.client.run { grpc in
                    let version = try await Containerd_Services_Version_V1_Version.Client(wrapping: grpc).version(
                        Google_Protobuf_Empty())
                    let server = try await Containerd_Services_Introspection_V1_Introspection.Client(wrapping: grpc)
                        .server(Google_Protobuf_Empty())
                    return Server(apiVersion: version.version, revision: version.revision, uuid: server.uuid)
                }
            } catch let error as CLIError {
                failure = error
            }
            switch format {
            case .json:
                print(try JSONOutput.encode(report))
            case .text:
                print("Client:\n  Version:      \(report.client)")
                if let server = report.server {
                    print("Server (berthd at \(client.resolvedAddress)):")
                    print("  API version:  \(server.apiVersion) (containerd 1.6 API)")
                    print("  Revision:     \(server.revision)")
                    print("  UUID:         \(server.uuid)")
                }
            }
            if let failure { throw failure }
        }
    }
}

/// The `--format` choices.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Pretty, key-sorted JSON for `--format json`.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
