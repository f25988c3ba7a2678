extension Capabilities {
    /// Checks a list of capability names (in any form ``Capability/init(_:)``
    /// accepts) and returns their canonical names, in input order with
    /// duplicates removed.
    ///
    /// Throws `CapabilityError(.invalidArgument, …)` on the first unknown name.
    /// `ALL` is not a capability and is rejected; expand it with ``all`` first.
    public static func validate(_ names: [String]) throws(CapabilityError) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for name in names {
            let canonical = try Capability(name).name
            if seen.insert(canonical).inserted {
                result.append(canonical)
            }
        }
        return result
    }
}
