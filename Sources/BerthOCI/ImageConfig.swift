/// The image config blob (OCI image-spec `config.json`, also Docker's
/// `application/vnd.docker.container.image.v1+json`).
///
/// JSON keys follow the spec: snake_case and dotted at the top level
/// (`os.version`, `rootfs.diff_ids`, `history[].created_by`), PascalCase inside
/// `config`. Absent and `null` fields decode to `nil` and are omitted on encode;
/// empty values (`"Cmd": []`, `"Labels": {}`) are kept as empty.
public struct ImageConfig: Hashable, Sendable, Codable {
    /// When the image was created (RFC 3339, kept as written).
    public var created: String?
    /// The person or entity that created the image.
    public var author: String?
    /// The CPU architecture (Go `GOARCH` value).
    public var architecture: String
    /// The operating system (Go `GOOS` value).
    public var os: String
    /// The OS version (Windows).
    public var osVersion: String?
    /// Required OS features (Windows).
    public var osFeatures: [String]?
    /// The CPU variant, e.g. `v7`.
    public var variant: String?
    /// The default execution parameters for a container.
    public var config: Config?
    /// The layer diff IDs.
    public var rootfs: RootFS
    /// How each layer was created, oldest first.
    public var history: [History]?

    // Docker-only fields, written by the classic builder.

    /// Docker: the ID of the container the image was committed from.
    public var container: String?
    /// Docker: the config of the container the image was committed from.
    public var containerConfig: Config?
    /// Docker: the version of Docker that built the image.
    public var dockerVersion: String?
    /// Docker: the commit message.
    public var comment: String?
    /// Docker: the ID of the parent image (local images only).
    public var parent: String?

    public init(
        created: String? = nil,
        author: String? = nil,
        architecture: String,
        os: String,
        osVersion: String? = nil,
        osFeatures: [String]? = nil,
        variant: String? = nil,
        config: Config? = nil,
        rootfs: RootFS = RootFS(),
        history: [History]? = nil,
        container: String? = nil,
        containerConfig: Config? = nil,
        dockerVersion: String? = nil,
        comment: String? = nil,
        parent: String? = nil
    ) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.container = container
        self.containerConfig = containerConfig
        self.dockerVersion = dockerVersion
        self.comment = comment
        self.parent = parent
    }

    enum CodingKeys: String, CodingKey {
        case created
        case author
        case architecture
        case os
        case osVersion = "os.version"
        case osFeatures = "os.features"
        case variant
        case config
        case rootfs
        case history
        case container
        case containerConfig = "container_config"
        case dockerVersion = "docker_version"
        case comment
        case parent
    }

    /// The platform the image is built for.
    public var platform: Platform {
        get {
            Platform(
                os: os, architecture: architecture, variant: variant, osVersion: osVersion, osFeatures: osFeatures)
        }
        set {
            os = newValue.os
            architecture = newValue.architecture
            variant = newValue.variant
            osVersion = newValue.osVersion
            osFeatures = newValue.osFeatures
        }
    }
}

// MARK: - RootFS

extension ImageConfig {
    /// The layer content addresses (`rootfs`).
    public struct RootFS: Hashable, Sendable, Codable {
        /// The rootfs type; always `layers`.
        public var type: String
        /// The digests of the uncompressed layer tars, base layer first.
        public var diffIDs: [Digest]

        public init(type: String = "layers", diffIDs: [Digest] = []) {
            self.type = type
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        /// The chain ID of the full layer stack, or `nil` for an empty rootfs.
        public var chainID: Digest? {
            Digest.chainID(diffIDs: diffIDs)
        }
    }
}

// MARK: - History

extension ImageConfig {
    /// One build step (`history[]`).
    public struct History: Hashable, Sendable, Codable {
        /// When the step ran (RFC 3339, kept as written).
        public var created: String?
        /// The command that made the step, e.g. `/bin/sh -c #(nop) CMD ["sh"]`.
        public var createdBy: String?
        /// Who made the step.
        public var author: String?
        /// A free-form comment.
        public var comment: String?
        /// True if the step made no layer (it only changed config).
        public var emptyLayer: Bool?

        public init(
            created: String? = nil,
            createdBy: String? = nil,
            author: String? = nil,
            comment: String? = nil,
            emptyLayer: Bool? = nil
        ) {
            self.created = created
            self.createdBy = createdBy
            self.author = author
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case author
            case comment
            case emptyLayer = "empty_layer"
        }
    }
}
