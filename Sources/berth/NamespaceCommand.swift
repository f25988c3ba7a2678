import ArgumentParser
import BerthAPI

/// `berth namespace ls|create|rm`: namespaces through berthd's Namespaces service.
struct NamespaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace",
        abstract: "Manage namespaces.",
        subcommands: [List.self, Create.self, Remove.self],
        aliases: ["namespaces", "ns"]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List namespaces.", aliases: ["list"])

        @OptionGroup var client: ClientOptions

        @Flag(name: .shortAndLong, help: "Print only the names.")
        var quiet = false

        func run() async throws {
            try await reportingErrors {
                let namespaces = try await client.client.run { grpc in
                    try await Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: grpc).list(
                        Containerd_Services_Namespaces_V1_ListNamespacesRequest()
                    ).namespaces
                }
                if quiet {
                    for namespace in namespaces { print(namespace.name) }
                    return
                }
                var table = Table("NAME", "LABELS")
                for namespace in namespaces {
                    let labels = namespace.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    table.append([namespace.name, labels.joined(separator: ",")])
                }
                print(table.render(), terminator: "")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a namespace.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The namespace's name.")
        var name: String

        @Argument(help: "Labels, as KEY=VALUE.")
        var labels: [String] = []

        func run() async throws {
            try await reportingErrors {
                var request = Containerd_Services_Namespaces_V1_CreateNamespaceRequest()
                request.namespace.name = name
                for label in labels {
                    let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty else {
                        throw CLIError.local("label \"\(label)\": expected KEY=VALUE")
                    }
                    request.namespace.labels[String(parts[0])] = String(parts[1])
                }
                _ = try await client.client.run { grpc in
                    try await Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: grpc).create(request)
                }
                print(name)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove empty namespaces.", aliases: ["remove"])

        @OptionGroup var client: ClientOptions

        @Argument(help: "The namespaces to remove.")
        var names: [String]

        func run() async throws {
            try await reportingErrors {
                for name in names {
                    var request = Containerd_Services_Namespaces_V1_DeleteNamespaceRequest()
                    request.name = name
                    _ = try await client.client.run { grpc in
                        try await Containerd_Services_Namespaces_V1_Namespaces.Client(wrapping: grpc).delete(request)
                    }
                    print(name)
                }
            }
        }
    }
}
