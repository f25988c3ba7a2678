import BerthShimProto
import SwiftProtobuf

/// A task with a live shim.
public struct ShimTask: Sendable {
    /// Its bundle.
    public let bundle: TaskBundle
    /// Calls to its shim.
    public let shim: ShimClient
    /// The shim binary.
    public let binary: String
    /// Whether the shim is Berth's (journal, durable exits).
    public let isBerthShim: Bool
    /// The init's pid.
    public let pid: UInt32
    let log: ShimLog?
    /// How long each phase of its creation took, in microseconds, in order
    /// (`bundle`, `shim_start`, `connect`, `shim_create`); empty for a
    /// task reloaded after a restart.
    public var creationPhases: [(name: String, microseconds: Int64)] = []

    /// The container id.
    public var id: String { bundle.id }
}

/// A task whose shim died: what is known of how it ended. It answers Get,
/// List and Wait as STOPPED until Tasks.Delete removes it.
public struct DeadTask: Sendable, Equatable {
    /// The container id.
    public let id: String
    /// The init's pid, if known (0 otherwise).
    public let pid: UInt32
    /// The exit status the shim stored, or 137.
    public let exitStatus: UInt32
    /// When it exited (or when the death was noticed).
    public let exitedAt: Google_Protobuf_Timestamp
    /// False when no exit status was stored: 137 is then a stand-in.
    public let exitKnown: Bool
}

/// Where a task is in its life, as the task manager tracks it. Each case
/// carries only what exists in that state.
public enum TaskEntry: Sendable {
    /// The bundle is being made and the shim started; not visible yet.
    case creating
    /// Running (or created, stopped…: the shim knows) with a live shim.
    case live(ShimTask)
    /// Tasks.Delete is in progress.
    case deleting(ShimTask)
    /// The shim died; the exit is recorded here.
    case dead(DeadTask)
}
