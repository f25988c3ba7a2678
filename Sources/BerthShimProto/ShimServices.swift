/// The shim's ttrpc task service, `containerd.task.v2.Task`.
///
/// ttrpc has no Swift code generator: services are dispatched by these names.
/// Request and response messages are the `Containerd_Task_V2_*` types
/// (methods answering nothing use `Google_Protobuf_Empty`).
public enum TaskService {
    /// The service name in ttrpc requests.
    public static let name = "containerd.task.v2.Task"

    /// The service's methods, in the order the service declares them.
    public enum Method: String, CaseIterable, Sendable {
        case state = "State"
        case create = "Create"
        case start = "Start"
        case delete = "Delete"
        case pids = "Pids"
        case pause = "Pause"
        case resume = "Resume"
        case checkpoint = "Checkpoint"
        case kill = "Kill"
        case exec = "Exec"
        case resizePty = "ResizePty"
        case closeIO = "CloseIO"
        case update = "Update"
        case wait = "Wait"
        case stats = "Stats"
        case connect = "Connect"
        case shutdown = "Shutdown"
    }
}

/// The daemon's ttrpc events service, `containerd.services.events.ttrpc.v1.Events`,
/// which shims call at `TTRPC_ADDRESS`.
public enum EventsService {
    /// The service name in ttrpc requests.
    public static let name = "containerd.services.events.ttrpc.v1.Events"

    /// The service's methods.
    public enum Method: String, CaseIterable, Sendable {
        /// `ForwardRequest` → `Google_Protobuf_Empty`.
        case forward = "Forward"
    }
}

/// Berth's journal extension, `berth.shim.v1.Journal`, served by berth-shim
/// on the task socket next to ``TaskService``. containerd never calls it.
public enum JournalService {
    /// The service name in ttrpc requests.
    public static let name = "berth.shim.v1.Journal"

    /// The service's methods.
    public enum Method: String, CaseIterable, Sendable {
        /// `Berth_Shim_V1_ReplayRequest` → `Berth_Shim_V1_ReplayResponse`.
        case replay = "Replay"
        /// `Berth_Shim_V1_AckRequest` → `Google_Protobuf_Empty`.
        case ack = "Ack"
    }

    /// ttrpc metadata key on Forward requests: the task (container) id.
    public static let taskIDMetadataKey = "berth-task-id"
    /// ttrpc metadata key on Forward requests: the event's sequence number.
    public static let sequenceMetadataKey = "berth-event-sequence"
}
