public import BerthOCI
public import Logging

/// An image record as the image store keeps it: a name and its target
/// descriptor (an index or a manifest).
public struct ImageRecord: Hashable, Sendable {
    /// The full name, e.g. `docker.io/library/busybox:latest`.
    public var name: String
    /// The root descriptor.
    public var target: Descriptor

    public init(name: String, target: Descriptor) {
        self.name = name
        self.target = target
    }
}

/// Imports and exports image archives through the content store, as
/// `ctr images import` and `ctr images export` do.
///
/// - Import reads an OCI image layout (a directory, or a tar of one, possibly
///   gzip or zstd compressed) or a docker-archive (`docker save`: `manifest.json`,
///   `repositories`, `<id>.json` configs, layer tars). Every blob is verified as
///   it is stored; the result is the list of image records to create, which the
///   caller stores in the image store.
/// - Export writes an OCI archive (`oci-layout`, `index.json`, `blobs/`, plus a
///   Docker-compatible `manifest.json`, as `ctr` does) or a docker-archive.
///
/// Multi-platform indexes are kept whole on import and export; children missing
/// from the store (platforms never pulled) are left out of an export.
///
/// Archives are read and written with `BerthArchive` (libarchive); members
/// other than regular files and directories, absolute names and `..` are rejected.
public struct ImageArchives: Sendable {
    /// The content store blobs are read from and written to.
    public let store: any ContentAccess
    let logger: Logger
    /// Size limits for manifests, indexes, configs and archive metadata files.
    public var limits: RegistryLimits

    public init(store: any ContentAccess, limits: RegistryLimits = RegistryLimits(), logger: Logger) {
        self.store = store
        self.limits = limits
        self.logger = logger
    }
}

/// How to name what an archive imports.
public struct ImportOptions: Sendable {
    /// Prefix for OCI entries named only by a tag (`org.opencontainers.image.ref.name`
    /// without a repository) or not at all (`ctr import --base-name`).
    public var baseName: String?
    /// Also create a record with this name for the whole `index.json` (`ctr import --index-name`).
    public var indexName: String?

    public init(baseName: String? = nil, indexName: String? = nil) {
        self.baseName = baseName
        self.indexName = indexName
    }
}

/// What to export.
public struct ExportOptions: Sendable {
    /// The platform chosen for a docker-archive, and for an OCI archive when
    /// `allPlatforms` is false.
    public var platform: PlatformMatcher
    /// OCI archive: keep every platform whose content is in the store.
    public var allPlatforms: Bool
    /// OCI archive: also write a Docker `manifest.json` (ctr's default).
    public var dockerManifest: Bool

    public init(platform: PlatformMatcher = .host, allPlatforms: Bool = true, dockerManifest: Bool = true) {
        self.platform = platform
        self.allPlatforms = allPlatforms
        self.dockerManifest = dockerManifest
    }
}
