import SwiftProtobuf

/// A containerd event payload and the topic it is published on.
///
/// The shim publishes `/tasks/*` events; ``ContainerdEvent/topic`` is the
/// topic containerd's runtime uses for each payload type.
public protocol ContainerdEvent: Message {
    /// The topic, e.g. `/tasks/exit`.
    static var topic: String { get }
}

extension Containerd_Events_TaskCreate: ContainerdEvent {
    public static let topic = "/tasks/create"
}

extension Containerd_Events_TaskStart: ContainerdEvent {
    public static let topic = "/tasks/start"
}

extension Containerd_Events_TaskDelete: ContainerdEvent {
    public static let topic = "/tasks/delete"
}

extension Containerd_Events_TaskExit: ContainerdEvent {
    public static let topic = "/tasks/exit"
}

extension Containerd_Events_TaskOOM: ContainerdEvent {
    public static let topic = "/tasks/oom"
}

extension Containerd_Events_TaskExecAdded: ContainerdEvent {
    public static let topic = "/tasks/exec-added"
}

extension Containerd_Events_TaskExecStarted: ContainerdEvent {
    public static let topic = "/tasks/exec-started"
}

extension Containerd_Events_TaskPaused: ContainerdEvent {
    public static let topic = "/tasks/paused"
}

extension Containerd_Events_TaskResumed: ContainerdEvent {
    public static let topic = "/tasks/resumed"
}

extension Containerd_Events_TaskCheckpointed: ContainerdEvent {
    public static let topic = "/tasks/checkpointed"
}

/// Every task event type, in the order the topics are listed in the shim
/// protocol document.
public let containerdTaskEventTypes: [any ContainerdEvent.Type] = [
    Containerd_Events_TaskCreate.self, Containerd_Events_TaskStart.self,
    Containerd_Events_TaskExecAdded.self, Containerd_Events_TaskExecStarted.self,
    Containerd_Events_TaskPaused.self, Containerd_Events_TaskResumed.self,
    Containerd_Events_TaskExit.self, Containerd_Events_TaskDelete.self,
    Containerd_Events_TaskOOM.self, Containerd_Events_TaskCheckpointed.self,
]
