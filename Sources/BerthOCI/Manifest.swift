/// An image manifest: one image's config and layers (OCI image-spec
/// `manifest.json`, also Docker's schema2 manifest, which has the same shape).
public struct Manifest: Hashable, Sendable, Codable {
    /// Always 2 for the image spec and Docker schema2.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.manifest.v1+json` or the Docker schema2 type.
    /// Optional in OCI (but recommended), always present in Docker schema2.
    public var mediaType: MediaType?
    /// The type of an artifact when the manifest is used for one (image-spec v1.1).
    public var artifactType: MediaType?
    /// The image config blob.
    public var config: Descriptor
    /// The layers, base layer first.
    public var layers: [Descriptor]
    /// The manifest this one refers to (image-spec v1.1 referrers).
    public var subject: Descriptor?
    /// Arbitrary metadata (see `AnnotationKey`).
    public var annotations: [String: String]?

    public init(
        schemaVersion: Int = 2,
        mediaType: MediaType? = .ociManifest,
        artifactType: MediaType? = nil,
        config: Descriptor,
        layers: [Descriptor] = [],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion
        case mediaType
        case artifactType
        case config
        case layers
        case subject
        case annotations
    }

    /// Decodes a manifest. An absent or `null` `layers` decodes as `[]` and is
    /// always encoded (the field is required by the spec).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        mediaType = try container.decodeIfPresent(MediaType.self, forKey: .mediaType)
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
        config = try container.decode(Descriptor.self, forKey: .config)
        layers = try container.decodeIfPresent([Descriptor].self, forKey: .layers) ?? []
        subject = try container.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(mediaType, forKey: .mediaType)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
        try container.encode(config, forKey: .config)
        try container.encode(layers, forKey: .layers)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(annotations, forKey: .annotations)
    }
}

// MARK: - Helpers

extension Manifest {
    /// True if `mediaType` is an image index or Docker manifest list.
    public static func isIndex(mediaType: MediaType) -> Bool {
        mediaType.isIndex
    }

    /// True if `mediaType` is an image manifest (OCI or Docker schema2).
    public static func isManifest(mediaType: MediaType) -> Bool {
        mediaType.isManifest
    }

    /// The artifact type as the image spec defines it: `artifactType` if set,
    /// otherwise the config media type unless it is the empty config.
    public var effectiveArtifactType: MediaType? {
        if let artifactType { return artifactType }
        return config.mediaType == .ociEmpty ? nil : config.mediaType
    }

    /// True if this is a Docker schema2 manifest rather than an OCI one.
    public var isDocker: Bool {
        mediaType?.base == .dockerManifest
    }

    /// Every blob this manifest references: the config, then the layers.
    public var blobs: [Descriptor] {
        [config] + layers
    }

    /// Checks the constraints decoding does not: `schemaVersion` is 2 and
    /// `mediaType`, if present, is a manifest type.
    ///
    /// - Throws: `OCIError(.invalidArgument)` describing the first violation.
    public func validate() throws {
        guard schemaVersion == 2 else {
            throw OCIError.invalid("manifest schemaVersion must be 2, got \(schemaVersion)")
        }
        if let mediaType, !mediaType.isManifest {
            throw OCIError.invalid("manifest mediaType \"\(mediaType)\" is not an image manifest media type")
        }
    }
}
