import BerthBundle
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

/// `berth spec`, run as a built binary.
enum BerthCLI {
    static let path = Fixtures.repositoryRoot + "/.build/debug/berth"
    static var unavailableReason: String? {
        FileManager.default.isExecutableFile(atPath: path) ? nil : "\(path) is not built"
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try RuncBundle.run(path, ["spec"] + arguments)
    }

    /// An OCI image layout holding one manifest tagged `latest` for this host.
    static func makeLayout(config: ImageConfig, in directory: String) throws {
        let encoder = JSONEncoder()
        func blob(_ data: Data) throws -> Digest {
            let digest = Digest.sha256(of: data)
            let folder = directory + "/blobs/sha256"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: folder + "/" + digest.encoded))
            return digest
        }
        let configData = try encoder.encode(config)
        let configDescriptor = Descriptor(
            mediaType: .ociConfig, digest: try blob(configData), size: Int64(configData.count))
        let manifestData = try encoder.encode(Manifest(config: configDescriptor))
        var manifestDescriptor = Descriptor(
            mediaType: .ociManifest, digest: try blob(manifestData), size: Int64(manifestData.count))
        manifestDescriptor.platform = Platform.host
        manifestDescriptor.setAnnotation(AnnotationKey.refName, "latest")
        let index = Index(manifests: [manifestDescriptor])
        try encoder.encode(index).write(to: URL(fileURLWithPath: directory + "/index.json"))
        try encoder.encode(ImageLayout()).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
    }
}

@Suite("berth spec", .enabled(if: BerthCLI.unavailableReason == nil, "\(BerthCLI.unavailableReason ?? "")"))
struct CLITests {
    @Test("flags become the spec")
    func flags() throws {
        let directory = try TemporaryDirectory(prefix: "berth-cli")
        defer { directory.remove() }
        let image = directory.path + "/image.json"
        try JSONEncoder().encode(Fixtures.busybox).write(to: URL(fileURLWithPath: image))
        try "FROM_FILE=1\n# comment\n".write(toFile: directory.path + "/env", atomically: true, encoding: .utf8)
        let result = try BerthCLI.run([
            "--image", image, "--rootfs", Fixtures.rootfs, "--id", "cli-test-1",
            "-u", "berth", "-w", "/work", "-e", "A=1", "--env-file", directory.path + "/env", "-t",
            "--cap-drop", "ALL", "--cap-add", "net_bind_service", "--read-only", "-v", "/srv:/srv:ro",
            "--tmpfs", "/run:size=1m", "--mount", "type=volume,source=data,target=/data",
            "--memory", "64m", "--memory-swap", "-1", "--cpus", "0.5", "--pids-limit", "5",
            "--ulimit", "nofile=100:200", "--sysctl", "net.ipv4.ip_forward=1", "--annotation", "k=v",
            "--security-opt", "no-new-privileges", "--oom-score-adj", "-100", "--cgroup-parent", "/p",
            "--hostname", "cli", "--", "echo", "-n", "hi",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let spec = try BundleWriter.decode(Array(result.stdout.utf8))
        #expect(spec.process?.args == ["echo", "-n", "hi"])
        #expect(spec.process?.user?.uid == 1000)
        #expect(spec.process?.cwd == "/work")
        #expect(spec.env.contains("A=1") && spec.env.contains("FROM_FILE=1") && spec.env.contains("TERM=xterm"))
        #expect(spec.process?.terminal == true)
        #expect(spec.bounding == ["CAP_NET_BIND_SERVICE"])
        #expect(spec.root?.readonly == true)
        #expect(spec.mount(at: "/srv")?.options == ["rbind", "rprivate", "ro"])
        #expect(spec.mount(at: "/run")?.options?.contains("size=1m") == true)
        #expect(spec.mount(at: "/data")?.source == "/var/lib/berth/volumes/data/_data")
        #expect(spec.linux?.resources?.memory == .init(limit: 64 << 20, swap: -1))
        #expect(spec.linux?.resources?.cpu?.quota == 50_000)
        #expect(spec.linux?.resources?.pids?.limit == 5)
        #expect(spec.process?.rlimits?.contains(.init(type: "RLIMIT_NOFILE", hard: 200, soft: 100)) == true)
        #expect(spec.linux?.sysctl == ["net.ipv4.ip_forward": "1"])
        #expect(spec.annotations?["k"] == "v")
        #expect(spec.process?.noNewPrivileges == true)
        #expect(spec.process?.oomScoreAdj == -100)
        #expect(spec.linux?.cgroupsPath == "/p/cli-test-1")
        #expect(spec.hostname == "cli")
    }

    @Test("an OCI image layout, by directory and by tag; --bundle writes config.json")
    func layout() throws {
        let directory = try TemporaryDirectory(prefix: "berth-cli")
        defer { directory.remove() }
        let layout = directory.path + "/layout"
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        var config = Fixtures.busybox
        config.config?.cmd = ["/bin/layout-cmd"]
        try BerthCLI.makeLayout(config: config, in: layout)

        let byDirectory = try BerthCLI.run(["--image", layout, "--id", "l1"])
        #expect(byDirectory.status == 0, "\(byDirectory.stderr)")
        #expect(try BundleWriter.decode(Array(byDirectory.stdout.utf8)).process?.args == ["/bin/layout-cmd"])

        let bundle = directory.path + "/bundle"
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: true)
        let byTag = try BerthCLI.run(["--image", layout + ":latest", "--id", "l2", "--bundle", bundle])
        #expect(byTag.status == 0, "\(byTag.stderr)")
        #expect(byTag.stdout.isEmpty)
        let written = try BundleWriter.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))))
        #expect(written.root?.path == "rootfs")
        #expect(written.hostname == "l2")

        let missingTag = try BerthCLI.run(["--image", layout + ":nope", "--id", "l3"])
        #expect(missingTag.status != 0)
    }

    @Test("bad input exits non-zero with a message")
    func errors() throws {
        let image = Fixtures.rootfs + "/../basic/image.json"
        let unknownCap = try BerthCLI.run(["--image", image, "--id", "e1", "--cap-add", "FLY"])
        #expect(unknownCap.status != 0)
        #expect(unknownCap.stderr.contains("CAP_FLY"))
        let badOpt = try BerthCLI.run(["--image", image, "--id", "e2", "--security-opt", "apparmor=x"])
        #expect(badOpt.status != 0)
        let badMount = try BerthCLI.run(["--image", image, "--id", "e3", "--mount", "type=nfs,target=/x"])
        #expect(badMount.status != 0)
        let noImage = try BerthCLI.run(["--image", "/nonexistent", "--id", "e4"])
        #expect(noImage.status != 0)
    }
}
