/// `KEY=value` list handling with Docker's rules.
enum Environment {
    /// The variable name of an entry: everything before the first `=`.
    static func key(of entry: String) -> Substring {
        entry.prefix { $0 != "=" }
    }

    /// Applies `overrides` to `base`: an entry replaces the one with the same
    /// key where it stands, or is appended; a bare `KEY` removes the key.
    static func merge(_ base: [String], _ overrides: [String]) throws(BundleError) -> [String] {
        var result = base
        for entry in overrides {
            let key = key(of: entry)
            guard !key.isEmpty else {
                throw BundleError.invalid("invalid environment variable \"\(entry)\": the name is empty")
            }
            if key.count == entry.count {
                result.removeAll { Self.key(of: $0) == key }
            } else if let index = result.firstIndex(where: { Self.key(of: $0) == key }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }

    /// Appends `entry` unless its key is already set.
    static func addDefault(_ entry: String, to env: [String]) -> [String] {
        let key = key(of: entry)
        return env.contains { Self.key(of: $0) == key } ? env : env + [entry]
    }
}
