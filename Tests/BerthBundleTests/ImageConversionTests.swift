import BerthBundle
import BerthOCI
import Testing

@Suite("image config to runtime spec (image-spec conversion.md)")
struct ImageConversionTests {
    static let image = ImageConfig(
        created: "2024-01-02T03:04:05Z",
        author: "Berth <berth@example.com>",
        architecture: "arm64",
        os: "linux",
        variant: "v8",
        config: ImageConfig.Config(
            user: "berth",
            exposedPorts: ["8080/tcp", "53/udp"],
            env: ["PATH=/app/bin:/usr/bin:/bin", "LANG=C.UTF-8", "EMPTY="],
            entrypoint: ["/app/bin/server"],
            cmd: ["--port", "8080"],
            volumes: ["/var/lib/data", "/cache"],
            workingDir: "/app",
            labels: [
                "org.opencontainers.image.title": "server", "org.opencontainers.image.architecture": "from-label",
            ],
            stopSignal: "SIGQUIT"
        )
    )

    @Test("args are Entrypoint followed by Cmd")
    func args() throws {
        let spec = try Fixtures.generate(image: Self.image)
        #expect(spec.process?.args == ["/app/bin/server", "--port", "8080"])
    }

    @Test("Cmd alone, Entrypoint alone")
    func argsParts() throws {
        var image = Self.image
        image.config?.entrypoint = nil
        #expect(try Fixtures.generate(image: image).process?.args == ["--port", "8080"])
        image.config?.entrypoint = ["/bin/true"]
        image.config?.cmd = nil
        #expect(try Fixtures.generate(image: image).process?.args == ["/bin/true"])
    }

    @Test("env: the image's PATH replaces the default, the user's values win")
    func env() throws {
        let spec = try Fixtures.generate(image: Self.image) { $0.env = ["LANG=en_US.UTF-8", "EXTRA=1"] }
        #expect(
            spec.env == [
                "PATH=/app/bin:/usr/bin:/bin", "LANG=en_US.UTF-8", "EMPTY=", "HOSTNAME=0123456789ab", "EXTRA=1",
            ])
    }

    @Test("a default PATH when the image sets none")
    func defaultPath() throws {
        var image = Self.image
        image.config?.env = ["LANG=C"]
        let spec = try Fixtures.generate(image: image)
        #expect(spec.env.first == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        #expect(spec.env.contains("LANG=C"))
    }

    @Test("the image's HOSTNAME is kept")
    func imageHostnameVariable() throws {
        var image = Self.image
        image.config?.env = ["HOSTNAME=from-image"]
        #expect(try Fixtures.generate(image: image).env.filter { $0.hasPrefix("HOSTNAME=") } == ["HOSTNAME=from-image"])
    }

    @Test("cwd is WorkingDir, or /")
    func cwd() throws {
        #expect(try Fixtures.generate(image: Self.image).process?.cwd == "/app")
        var image = Self.image
        image.config?.workingDir = ""
        #expect(try Fixtures.generate(image: image).process?.cwd == "/")
        image.config?.workingDir = nil
        #expect(try Fixtures.generate(image: image).process?.cwd == "/")
    }

    @Test("User is resolved in the rootfs")
    func user() throws {
        let spec = try Fixtures.generate(image: Self.image)
        #expect(spec.process?.user == Spec.User(uid: 1000, gid: 1000, additionalGids: [1000, 50, 44]))
        let overridden = try Fixtures.generate(image: Self.image) { $0.user = "daemon" }
        #expect(overridden.process?.user == Spec.User(uid: 1, gid: 1, additionalGids: [1, 50]))
    }

    @Test("ExposedPorts, StopSignal and the platform become annotations; Labels win")
    func annotations() throws {
        let annotations = try #require(try Fixtures.generate(image: Self.image).annotations)
        #expect(annotations["org.opencontainers.image.exposedPorts"] == "53/udp,8080/tcp")
        #expect(annotations["org.opencontainers.image.stopSignal"] == "SIGQUIT")
        #expect(annotations["org.opencontainers.image.os"] == "linux")
        #expect(annotations["org.opencontainers.image.variant"] == "v8")
        #expect(annotations["org.opencontainers.image.author"] == "Berth <berth@example.com>")
        #expect(annotations["org.opencontainers.image.created"] == "2024-01-02T03:04:05Z")
        #expect(annotations["org.opencontainers.image.title"] == "server")
        #expect(annotations["org.opencontainers.image.architecture"] == "from-label")
    }

    @Test("Volumes become anonymous volumes unless a mount covers them or they are ignored")
    func volumes() throws {
        let spec = try Fixtures.generate(image: Self.image) {
            $0.volumesRoot = "/var/lib/berth/volumes"
            $0.mounts = [MountRequest(kind: .bind(source: "/srv/data"), destination: "/var/lib/data")]
        }
        #expect(spec.mount(at: "/var/lib/data")?.source == "/srv/data")
        #expect(spec.mount(at: "/cache")?.source == "/var/lib/berth/volumes/0123456789abcdef0123-anon0/_data")
        #expect(spec.mount(at: "/cache")?.options == ["rbind", "rprivate"])
        let ignored = try Fixtures.generate(image: Self.image) { $0.imageVolumes = .ignore }
        #expect(ignored.mount(at: "/cache") == nil)
    }

    @Test("without an image, the options alone make the spec")
    func noImage() throws {
        let spec = try Fixtures.generate(image: nil) { $0.command = ["/bin/true"] }
        #expect(spec.process?.args == ["/bin/true"])
        #expect(spec.annotations == nil)
    }
}
