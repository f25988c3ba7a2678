import ArgumentParser
import BerthAPI
import Foundation

extension SystemCommand {
    /// `berth system prune [-a] [-f]`: stopped containers, then unused
    /// images, then a synchronous garbage collection, as `docker system prune`.
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove stopped containers and dangling images (with -a, all unused images).",
            discussion: """
                In the namespace: removes every container that is not running (no task, \
                or a stopped one) with its snapshot and logs; then dangling images (no \
                tag), or with --all every image no remaining container uses; then runs \
                a synchronous garbage collection and prints what was removed and the \
                space reclaimed (content and snapshots that are gone from the namespace).
                """
        )

        @OptionGroup var client: ClientOptions

        @Flag(name: .shortAndLong, help: "Remove all images not used by any container, not just dangling ones.")
        var all = false

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var force = false

        func run() async throws {
            try await reportingContainerErrors {
                let warning = """
                    WARNING! This will remove, in namespace \(client.resolvedNamespace):
                      - all stopped containers
                      - \(all ? "all images without at least one container associated to them" : "all dangling images")
                      - unreferenced content and snapshots
                    """
                guard force || PruneRun.ask(warning) else { return }
                try await PruneRun(client: client.client, containers: true, all: all).execute()
            }
        }
    }
}

extension ImageCommand {
    /// `berth image prune [-a] [-f]`: dangling (or all unused) images, then a
    /// synchronous garbage collection.
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove dangling images (with -a, all images no container uses).")

        @OptionGroup var client: ClientOptions

        @Flag(name: .shortAndLong, help: "Remove all images not used by any container, not just dangling ones.")
        var all = false

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var force = false

        func run() async throws {
            try await reportingContainerErrors {
                let warning =
                    all
                    ? "WARNING! This will remove all images without at least one container associated to them."
                    : "WARNING! This will remove all dangling images."
                guard force || PruneRun.ask(warning) else { return }
                try await PruneRun(client: client.client, containers: false, all: all).execute()
            }
        }
    }
}

/// One prune: what to remove, then the report.
struct PruneRun {
    let client: DaemonClient
    let containers: Bool
    let all: Bool

    static func ask(_ warning: String) -> Bool {
        FileHandle.standardOutput.write(Data((warning + "\n").utf8))
        return Pruner.confirm("Are you sure you want to continue?")
    }

    func execute() async throws {
        let (containers, all) = (self.containers, self.all)
        let report = try await client.containers { api in
            let pruner = Pruner(api: api)
            let before = try await pruner.footprint(measureSnapshots: true)
            var removedContainers: [String] = []
            if containers {
                for container in try await pruner.stoppedContainers() {
                    if try await pruner.remove(container) { removedContainers.append(container.id) }
                }
            }
            var removedImages: [String] = []
            for image in try await pruner.unusedImages(all: all) {
                if try await pruner.remove(image) { removedImages.append(image.name) }
            }
            try await pruner.collect()
            let after = try await pruner.footprint(measureSnapshots: false)
            return (removedContainers, removedImages, before.reclaimed(after: after))
        }
        if containers, !report.0.isEmpty {
            print("Deleted Containers:")
            for id in report.0 { print(id) }
            print("")
        }
        if !report.1.isEmpty {
            print("Deleted Images:")
            for name in report.1 { print("untagged: \(name)") }
            print("")
        }
        print("Total reclaimed space: \(ByteFormat.size(report.2))")
    }
}
