/// The pre-defined annotation keys of the image spec (`annotations.md`).
public enum AnnotationKey {
    /// Date and time the image was built (RFC 3339).
    public static let created = "org.opencontainers.image.created"
    /// Contact details of the people or organisation responsible for the image.
    public static let authors = "org.opencontainers.image.authors"
    /// URL to find more information on the image.
    public static let url = "org.opencontainers.image.url"
    /// URL to get documentation on the image.
    public static let documentation = "org.opencontainers.image.documentation"
    /// URL to get source code for building the image.
    public static let source = "org.opencontainers.image.source"
    /// Version of the packaged software.
    public static let version = "org.opencontainers.image.version"
    /// Source control revision identifier for the packaged software.
    public static let revision = "org.opencontainers.image.revision"
    /// Name of the distributing entity.
    public static let vendor = "org.opencontainers.image.vendor"
    /// License(s) under which contained software is distributed (SPDX expression).
    public static let licenses = "org.opencontainers.image.licenses"
    /// Name of the reference for a target, e.g. a tag in an OCI layout `index.json`.
    public static let refName = "org.opencontainers.image.ref.name"
    /// Human-readable title of the image or artifact blob.
    public static let title = "org.opencontainers.image.title"
    /// Human-readable description of the software packaged in the image.
    public static let description = "org.opencontainers.image.description"
    /// Digest of the image this image is based on.
    public static let baseImageDigest = "org.opencontainers.image.base.digest"
    /// Image reference of the image this image is based on.
    public static let baseImageName = "org.opencontainers.image.base.name"
}
