/// A task's identity: its namespace and container id.
public struct TaskKey: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var id: String

    public init(namespace: String, id: String) {
        self.namespace = namespace
        self.id = id
    }

    public var description: String { "\(namespace)/\(id)" }
}
