import ArgumentParser
import BerthAPI
import Foundation
import GRPCCore

/// `berth pull REF` (also `berth image pull`): berthd pulls and unpacks the
/// image itself (Berth's Transfer extension) and streams progress here.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image from a registry and unpack it.",
        discussion: """
            The daemon does the work: it resolves the reference, downloads the blobs \
            for one platform into its content store and unpacks the layers into \
            snapshots while they download. One line per layer shows its progress.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "The platform to pull, e.g. linux/arm64 (default: the daemon's).")
    var platform: String?

    @Flag(name: .customLong("plain-http"), help: "Talk to the registry over plain HTTP.")
    var plainHTTP = false

    @Option(name: .customLong("hosts-dir"), help: "A hosts.toml directory for the daemon to use (certs.d layout).")
    var hostsDirectory: String?

    @Option(help: "The snapshotter to unpack into (default: the daemon's).")
    var snapshotter: String?

    @Flag(name: .customLong("no-unpack"), help: "Only download; do not unpack the layers.")
    var noUnpack = false

    @Option(name: .shortAndLong, help: "Registry credentials, USER[:PASSWORD].")
    var user: String?

    @Flag(name: .shortAndLong, help: "Print only the image name when done.")
    var quiet = false

    @Argument(help: "The image reference, e.g. docker.io/library/busybox:latest.")
    var reference: String

    func run() async throws {
        try await reportingErrors {
            var request = Berth_Services_Images_V1_PullRequest()
            request.reference = reference
            request.platform = platform ?? ""
            request.plainHTTP = plainHTTP
            request.hostsDir = hostsDirectory ?? ""
            request.unpack = !noUnpack
            request.snapshotter = snapshotter ?? ""
            if let user {
                let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                request.auth.username = String(parts[0])
                request.auth.secret = parts.count > 1 ? String(parts[1]) : ""
            }
            let daemon = client.client
            let quiet = self.quiet
            let result = try await daemon.run { grpc in
                try await Berth_Services_Images_V1_Transfer.Client(wrapping: grpc).pull(
                    request, metadata: daemon.metadata
                ) { response in
                    var display = PullDisplay(interactive: !quiet && isatty(STDOUT_FILENO) == 1, silent: quiet)
                    var result: Berth_Services_Images_V1_PullResult?
                    for try await message in response.messages {
                        switch message.event {
                        case .blob(let blob): display.update(blob)
                        case .result(let final): result = final
                        case nil: break
                        }
                    }
                    display.finish()
                    return result
                }
            }
            guard let result else {
                throw CLIError(
                    description: "berthd ended the pull of \(reference) without a result",
                    exitCode: CLIError.daemonExitCode)
            }
            if quiet {
                print(result.name)
                return
            }
            var line = "\(result.name): \(result.target.digest)"
            if !result.chainID.isEmpty {
                line += " (unpacked into \(result.snapshotter), chain \(result.chainID))"
            }
            print(line)
        }
    }
}
