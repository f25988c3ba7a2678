/// Layer chain identifiers, as defined by the image spec:
///
///     ChainID(L₀)        = DiffID(L₀)
///     ChainID(L₀|…|Lₙ)   = SHA256(ChainID(L₀|…|Lₙ₋₁) + " " + DiffID(Lₙ))
///
/// A chain ID names a snapshot: the result of applying a stack of layers in order.
extension Digest {
    /// The chain ID of the full stack of layers with the given diff IDs, or `nil`
    /// if `diffIDs` is empty.
    public static func chainID(diffIDs: [Digest]) -> Digest? {
        chainIDs(diffIDs: diffIDs).last
    }

    /// The chain ID of every prefix of the stack: element `i` is the chain ID
    /// of layers `0...i`. Same count as `diffIDs`.
    public static func chainIDs(diffIDs: [Digest]) -> [Digest] {
        var result: [Digest] = []
        result.reserveCapacity(diffIDs.count)
        for diffID in diffIDs {
            if let parent = result.last {
                result.append(Digest.sha256(of: "\(parent) \(diffID)".utf8))
            } else {
                result.append(diffID)
            }
        }
        return result
    }
}
