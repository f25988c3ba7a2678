/// An image index: a list of manifests, typically one per platform (OCI
/// image-spec `index.json`, also Docker's manifest list, which has the same shape).
public struct Index: Hashable, Sendable, Codable {
    /// Always 2 for the image spec and Docker manifest lists.
    public var schemaVersion: Int
    /// `application/vnd.oci.image.index.v1+json` or the Docker manifest list type.
    public var mediaType: MediaType?
    /// The type of an artifact when the index is used for one (image-spec v1.1).
    public var artifactType: MediaType?
    /// The referenced manifests (or nested indexes).
    public var manifests: [Descriptor]
    /// The manifest this one refers to (image-spec v1.1 referrers).
    public var subject: Descriptor?
    /// Arbitrary metadata (see `AnnotationKey`).
    public var annotations: [String: String]?

    public init(
        schemaVersion: Int = 2,
        mediaType: MediaType? = .ociIndex,
        artifactType: MediaType? = nil,
        manifests: [Descriptor] = [],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion
        case mediaType
        case artifactType
        case manifests
        case subject
        case annotations
    }

    /// Decodes an index. An absent or `null` `manifests` decodes as `[]` and is
    /// always encoded (the field is required by the spec).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        mediaType = try container.decodeIfPresent(MediaType.self, forKey: .mediaType)
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
        manifests = try container.decodeIfPresent([Descriptor].self, forKey: .manifests) ?? []
        subject = try container.decodeIfPresent(Descriptor.self, forKey: .subject)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encodeIfPresent(mediaType, forKey: .mediaType)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
        try container.encode(manifests, forKey: .manifests)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(annotations, forKey: .annotations)
    }
}

// MARK: - Helpers

extension Index {
    /// True if this is a Docker manifest list rather than an OCI index.
    public var isDocker: Bool {
        mediaType?.base == .dockerManifestList
    }

    /// The manifests that can run on `matcher`'s platform, best match first.
    /// Entries without a platform are kept (after matching ones), as containerd does.
    public func manifests(matching matcher: PlatformMatcher) -> [Descriptor] {
        matcher.filter(manifests)
    }

    /// The best manifest for `platform` (by default the host), or `nil`.
    public func manifest(for platform: Platform = .host) -> Descriptor? {
        PlatformMatcher(platform).bestMatch(in: manifests)
    }

    /// The manifests whose `org.opencontainers.image.ref.name` annotation is `name`
    /// (how an OCI layout's `index.json` names its tags).
    public func manifests(referenceName name: String) -> [Descriptor] {
        manifests.filter { $0.referenceName == name }
    }

    /// Checks the constraints decoding does not: `schemaVersion` is 2 and
    /// `mediaType`, if present, is an index type.
    ///
    /// - Throws: `OCIError(.invalidArgument)` describing the first violation.
    public func validate() throws {
        guard schemaVersion == 2 else {
            throw OCIError.invalid("index schemaVersion must be 2, got \(schemaVersion)")
        }
        if let mediaType, !mediaType.isIndex {
            throw OCIError.invalid("index mediaType \"\(mediaType)\" is not an image index media type")
        }
    }
}
