public import BerthOCI

/// A normalised image reference: `domain/path[:tag][@digest]`.
///
/// Parsing follows the distribution `reference` grammar and Docker's
/// normalisation, as containerd's `ctr` accepts names:
///
/// - `busybox` → `docker.io/library/busybox:latest`
/// - `user/repo` → `docker.io/user/repo:latest`
/// - `index.docker.io/x` → `docker.io/library/x:latest`
/// - `host:5000/repo:tag`, `localhost/repo`, `[::1]:5000/repo`
/// - `repo@sha256:…` (no default tag) and `repo:tag@sha256:…` (the digest wins
///   when resolving; the tag is kept for naming).
public struct ImageReference: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// The default registry for names without a domain.
    public static let defaultDomain = "docker.io"
    /// The tag used when a reference has neither tag nor digest.
    public static let defaultTag = "latest"
    /// The maximum length of `domain/path`, as the distribution grammar sets.
    public static let maxNameLength = 255

    /// The registry host, with port if any, e.g. `docker.io`, `127.0.0.1:5000`.
    public let domain: String
    /// The repository path inside the registry, e.g. `library/busybox`.
    public let path: String
    /// The tag, if any (`latest` when the reference had neither tag nor digest).
    public let tag: String?
    /// The manifest digest, if the reference pins one.
    public let digest: Digest?

    /// Builds a reference from parts already known to be valid.
    ///
    /// - Throws: `RegistryError(.invalidArgument)` if a part does not match the grammar.
    public init(domain: String, path: String, tag: String? = nil, digest: Digest? = nil) throws {
        try Self.validateDomain(domain, input: domain)
        try Self.validatePath(path, input: path)
        if let tag { try Self.validateTag(tag, input: tag) }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    init(trustedDomain domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Parses a reference, returning `nil` if it is invalid.
    public init?(_ description: String) {
        guard let reference = try? ImageReference(parsing: description) else { return nil }
        self = reference
    }

    /// `domain/path`, e.g. `docker.io/library/busybox`.
    public var name: String { "\(domain)/\(path)" }

    /// The full normalised form, e.g. `docker.io/library/busybox:latest`.
    public var description: String {
        var out = name
        if let tag { out += ":\(tag)" }
        if let digest { out += "@\(digest)" }
        return out
    }

    /// What goes after `/manifests/` in a registry URL: the digest if pinned, else the tag.
    public var manifestReference: String {
        if let digest { return digest.description }
        return tag ?? Self.defaultTag
    }

    /// The short form Docker prints: `busybox:latest` for `docker.io/library/busybox:latest`.
    ///
    /// It always parses back to this reference: `docker.io/` stays when the
    /// short name would be read differently (`docker.io/a.b/c` is not `a.b/c`,
    /// which names the registry `a.b`; `docker.io/docker.io/c` is not
    /// `docker.io/c`), where Docker's familiar form would name another image.
    public var familiarDescription: String {
        var shortName = name
        if domain == Self.defaultDomain {
            let candidate =
                path.hasPrefix("library/") && path.split(separator: "/").count == 2
                ? String(path.dropFirst("library/".count)) : path
            if let reparsed = try? ImageReference(parsing: candidate), reparsed.domain == domain,
                reparsed.path == path
            {
                shortName = candidate
            }
        }
        var out = shortName
        if let tag { out += ":\(tag)" }
        if let digest { out += "@\(digest)" }
        return out
    }

    /// This reference with a different tag (and no digest).
    public func withTag(_ tag: String) throws -> ImageReference {
        try ImageReference(domain: domain, path: path, tag: tag)
    }

    /// This reference pinned to `digest` (keeping the tag).
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(trustedDomain: domain, path: path, tag: tag, digest: digest)
    }

    /// The same repository in another registry (used for mirrors).
    public func inRepository(_ path: String) throws -> ImageReference {
        try ImageReference(domain: domain, path: path, tag: tag, digest: digest)
    }
}
