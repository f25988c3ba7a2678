internal import BerthErrors
public import BerthOCI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension BundleWriter {
    /// Creates the host directories of the spec's volumes: the sources of bind
    /// mounts that lie under `volumesRoot` (named and anonymous volumes) and
    /// do not exist yet, with mode 0755. Bind mounts of other host paths are
    /// left alone: a missing one is the caller's mistake, and runc reports it.
    ///
    /// Returns the directories it created.
    @discardableResult
    public static func createVolumeDirectories(for spec: Spec, volumesRoot: String) throws(BundleError) -> [String] {
        let root = volumesRoot.hasSuffix("/") ? String(volumesRoot.dropLast()) : volumesRoot
        var created: [String] = []
        for mount in spec.mounts ?? [] where mount.type == "bind" {
            guard let source = mount.source, source.hasPrefix(root + "/"),
                !source.split(separator: "/").contains("..")
            else { continue }
            created += try makeDirectories(source)
        }
        return created
    }

    /// `mkdir -p`: creates `path` and its missing parents; returns those it created.
    static func makeDirectories(_ path: String) throws(BundleError) -> [String] {
        var created: [String] = []
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) == 0 {
                created.append(current)
            } else if errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw BundleError(
                    errno == EACCES ? .permissionDenied : .internal, "cannot create \(current): \(reason)")
            }
        }
        return created
    }
}
