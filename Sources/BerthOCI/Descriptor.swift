/// A content descriptor: a typed, sized, content-addressed reference to a blob
/// (image-spec `descriptor`).
///
/// `data`, when present, is the blob itself embedded in the descriptor
/// (base64 in JSON, raw bytes here).
public struct Descriptor: Hashable, Sendable, Codable {
    /// The media type of the referenced content.
    public var mediaType: MediaType
    /// The digest of the referenced content.
    public var digest: Digest
    /// The size of the referenced content in bytes.
    public var size: Int64
    /// Alternative locations the content may be downloaded from.
    public var urls: [String]?
    /// Arbitrary metadata (see `AnnotationKey` for the well-known keys).
    public var annotations: [String: String]?
    /// The embedded content, if any (`data`, base64 in JSON).
    public var data: [UInt8]?
    /// The platform the referenced manifest is for (in an index).
    public var platform: Platform?
    /// The type of an artifact, when the descriptor references one (image-spec v1.1).
    public var artifactType: MediaType?

    public init(
        mediaType: MediaType,
        digest: Digest,
        size: Int64,
        urls: [String]? = nil,
        annotations: [String: String]? = nil,
        data: [UInt8]? = nil,
        platform: Platform? = nil,
        artifactType: MediaType? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.platform = platform
        self.artifactType = artifactType
    }

    /// A descriptor for `content`, computing its digest and size.
    ///
    /// - Parameter embed: also carry the bytes in `data`.
    public init(
        mediaType: MediaType,
        content: [UInt8],
        algorithm: Digest.Algorithm = .canonical,
        embed: Bool = false
    ) {
        self.init(
            mediaType: mediaType,
            digest: Digest.compute(algorithm, of: content),
            size: Int64(content.count),
            data: embed ? content : nil)
    }

    enum CodingKeys: String, CodingKey {
        case mediaType
        case digest
        case size
        case urls
        case annotations
        case data
        case platform
        case artifactType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(MediaType.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        if size < 0 {
            throw OCIError.invalid("descriptor size must not be negative, got \(size)").at(
                container.codingPath + [CodingKeys.size])
        }
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        if let encoded = try container.decodeIfPresent(String.self, forKey: .data) {
            guard let bytes = Base64.decode(encoded) else {
                throw OCIError.invalid("descriptor data is not valid base64").at(
                    container.codingPath + [CodingKeys.data])
            }
            data = bytes
        }
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(digest, forKey: .digest)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(urls, forKey: .urls)
        try container.encodeIfPresent(annotations, forKey: .annotations)
        try container.encodeIfPresent(data.map(Base64.encode), forKey: .data)
        try container.encodeIfPresent(platform, forKey: .platform)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
    }
}

// MARK: - Accessors

extension Descriptor {
    /// The annotation for `key`, if any.
    public func annotation(_ key: String) -> String? {
        annotations?[key]
    }

    /// Sets (or with `nil`, removes) an annotation; an emptied map becomes `nil`.
    public mutating func setAnnotation(_ key: String, _ value: String?) {
        var map = annotations ?? [:]
        map[key] = value
        annotations = map.isEmpty ? nil : map
    }

    /// The reference name (`org.opencontainers.image.ref.name`), e.g. a tag in an OCI layout index.
    public var referenceName: String? { annotation(AnnotationKey.refName) }

    /// The title (`org.opencontainers.image.title`), e.g. a file name for an artifact layer.
    public var title: String? { annotation(AnnotationKey.title) }

    /// True if this references an image index or Docker manifest list.
    public var isIndex: Bool { mediaType.isIndex }

    /// True if this references an image manifest.
    public var isManifest: Bool { mediaType.isManifest }

    /// True if this references an image config blob.
    public var isConfig: Bool { mediaType.isConfig }

    /// True if this references a layer.
    public var isLayer: Bool { mediaType.isLayer }

    /// True if this references a non-distributable (foreign) layer.
    public var isNondistributable: Bool { mediaType.isNondistributable }

    /// Throws unless the embedded `data` (if any) has the declared size and digest.
    ///
    /// - Throws: `OCIError.sizeMismatch` or `OCIError.digestMismatch`.
    public func verifyEmbeddedData() throws {
        guard let data else { return }
        var verifier = DigestVerifier(descriptor: self)
        verifier.update(data)
        try verifier.verify()
    }
}
