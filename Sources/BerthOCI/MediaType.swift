/// A content media type, as carried in `mediaType` and `artifactType` fields.
///
/// The type is open: any string decodes, so a manifest that references a media
/// type this build does not know still parses. The well-known OCI image-spec and
/// Docker schema2 values are provided as static constants.
public struct MediaType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The media type string, e.g. `application/vnd.oci.image.manifest.v1+json`.
    public var rawValue: String

    /// Wraps any media type string without validation.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps any media type string without validation.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        rawValue = try container.decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

// MARK: - OCI image-spec

extension MediaType {
    /// A content descriptor (`application/vnd.oci.descriptor.v1+json`).
    public static let ociDescriptor: MediaType = "application/vnd.oci.descriptor.v1+json"
    /// The `oci-layout` header file.
    public static let ociLayoutHeader: MediaType = "application/vnd.oci.layout.header.v1+json"
    /// An OCI image manifest.
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    /// An OCI image index.
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    /// An OCI image config blob.
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    /// The empty JSON blob `{}` used by artifacts without a config (image-spec v1.1).
    public static let ociEmpty: MediaType = "application/vnd.oci.empty.v1+json"
    /// An uncompressed layer tar.
    public static let ociLayer: MediaType = "application/vnd.oci.image.layer.v1.tar"
    /// A gzip-compressed layer tar.
    public static let ociLayerGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// A zstd-compressed layer tar.
    public static let ociLayerZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// An uncompressed non-distributable layer tar (deprecated in image-spec v1.1).
    public static let ociLayerNondistributable: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar"
    /// A gzip-compressed non-distributable layer tar (deprecated in image-spec v1.1).
    public static let ociLayerNondistributableGzip: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    /// A zstd-compressed non-distributable layer tar (deprecated in image-spec v1.1).
    public static let ociLayerNondistributableZstd: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
}

// MARK: - Docker schema2

extension MediaType {
    /// A Docker manifest list (the Docker equivalent of an OCI index).
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// A Docker image manifest, schema version 2.
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    /// A Docker schema1 manifest (legacy, recognised but not modelled).
    public static let dockerManifestSchema1: MediaType = "application/vnd.docker.distribution.manifest.v1+json"
    /// A signed Docker schema1 manifest (legacy, recognised but not modelled).
    public static let dockerManifestSchema1Signed: MediaType =
        "application/vnd.docker.distribution.manifest.v1+prettyjws"
    /// A Docker container image config blob.
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    /// A gzip-compressed Docker layer.
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// An uncompressed Docker layer.
    public static let dockerLayer: MediaType = "application/vnd.docker.image.rootfs.diff.tar"
    /// A zstd-compressed Docker layer (produced by BuildKit).
    public static let dockerLayerZstd: MediaType = "application/vnd.docker.image.rootfs.diff.tar.zstd"
    /// A Docker foreign (non-distributable) layer, e.g. Windows base layers.
    public static let dockerForeignLayer: MediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
}

// MARK: - Classification

extension MediaType {
    /// The compression applied to a layer blob.
    public enum Compression: String, Hashable, Sendable {
        case none
        case gzip
        case zstd
    }

    /// The media type without any parameters (`; charset=...`) and surrounding spaces.
    public var base: MediaType {
        guard let semicolon = rawValue.firstIndex(of: ";") else { return self }
        let head = rawValue[..<semicolon]
        let trimmed = head.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
        return MediaType(String(trimmed))
    }

    /// True for an OCI image index or a Docker manifest list.
    public var isIndex: Bool {
        let base = self.base
        return base == .ociIndex || base == .dockerManifestList
    }

    /// True for an OCI image manifest or a Docker schema2 manifest.
    public var isManifest: Bool {
        let base = self.base
        return base == .ociManifest || base == .dockerManifest
    }

    /// True for an OCI or Docker image config blob.
    public var isConfig: Bool {
        let base = self.base
        return base == .ociConfig || base == .dockerConfig
    }

    /// True for any OCI or Docker layer media type, including non-distributable
    /// and foreign layers and `+encrypted` variants.
    public var isLayer: Bool {
        let value = base.rawValue
        return value.hasPrefix("application/vnd.oci.image.layer.")
            || value.hasPrefix("application/vnd.docker.image.rootfs.")
    }

    /// True for OCI non-distributable and Docker foreign layers, which registries
    /// may refuse to store and which are fetched from `urls` instead.
    public var isNondistributable: Bool {
        let value = base.rawValue
        return value.hasPrefix("application/vnd.oci.image.layer.nondistributable.")
            || value.hasPrefix("application/vnd.docker.image.rootfs.foreign.")
    }

    /// The compression of a layer media type, or `nil` if this is not a layer
    /// or its compression suffix is not recognised.
    public var layerCompression: Compression? {
        guard isLayer else { return nil }
        var value = base.rawValue
        if value.hasSuffix("+encrypted") {
            value.removeLast("+encrypted".count)
        }
        if value.hasSuffix(".tar") { return Compression.none }
        if value.hasSuffix("+gzip") || value.hasSuffix(".tar.gzip") { return .gzip }
        if value.hasSuffix("+zstd") || value.hasSuffix(".tar.zstd") { return .zstd }
        return nil
    }
}
