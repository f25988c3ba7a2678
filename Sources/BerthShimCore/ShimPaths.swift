import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// Where a shim keeps what it shares with its daemon, derived from the
/// bootstrap flags.
///
/// Berth's rule (containerd always uses `/run/containerd`): the *state
/// directory* is `/run/containerd` when the daemon's address lies under it,
/// otherwise the directory holding the address. The socket is
/// `<state>/s/<sha256(address + "/" + namespace + "/" + id)>`, as containerd
/// names it; when that path is longer than a unix socket allows, it falls
/// back to `/run/berth/s/<hash>`. The executor's default root is
/// `<state>/runc`, so a private daemon keeps private executor state.
public struct ShimPaths: Sendable, Equatable {
    /// The daemon's state directory as seen by the shim.
    public var stateDirectory: String
    /// The ttrpc socket path.
    public var socket: String

    /// Derives the paths from the bootstrap flags.
    public init(address: String, namespace: String, id: String) {
        let address = address.hasPrefix("unix://") ? String(address.dropFirst(7)) : address
        if address == "/run/containerd" || address.hasPrefix("/run/containerd/") {
            stateDirectory = "/run/containerd"
        } else {
            let directory = FileSystem.directoryName(address)
            stateDirectory = directory == "." ? "/run/berth" : directory
        }
        let hash = SHA256.hex(Array((address + "/" + namespace + "/" + id).utf8))
        let preferred = stateDirectory + "/s/" + hash
        socket = preferred.utf8.count <= UnixSocket.maximumPathLength ? preferred : "/run/berth/s/" + hash
    }

    /// The executor root used when the runtime options name none:
    /// `<state>/runc`.
    public var defaultExecutorRoot: String { stateDirectory + "/runc" }
}
