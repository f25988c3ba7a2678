import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unix-domain stream sockets: listen, connect, accept and descriptor passing.
public enum UnixSocket {
    /// The longest path a `sockaddr_un` holds (containerd uses 106).
    public static let maximumPathLength = 106

    /// A listening socket bound to `path` (close-on-exec, blocking).
    /// Throws `alreadyExists` (EADDRINUSE) when the path is taken. The
    /// corresponding C calls are `socket`, `bind` and `listen`.
    public static func listen(path: String, backlog: Int32 = 128) throws(SystemError) -> Int32 {
        try check("listen(\(path))", berth_unix_listen(path, backlog))
    }

    /// A socket connected to `path` (close-on-exec, blocking).
    public static func connect(path: String) throws(SystemError) -> Int32 {
        try check("connect(\(path))", berth_unix_connect(path))
    }

    /// Accepts one connection (close-on-exec, non-blocking), or nil when
    /// none is pending.
    public static func accept(_ fd: Int32) throws(SystemError) -> Int32? {
        let rc = berth_accept(fd)
        if rc == -EAGAIN || rc == -ECONNABORTED { return nil }
        return try check("accept4", rc)
    }

    /// The uid of the connected peer (SO_PEERCRED).
    public static func peerUID(_ fd: Int32) throws(SystemError) -> UInt32 {
        var uid: UInt32 = 0
        _ = try check("getsockopt(SO_PEERCRED)", berth_peer_uid(fd, &uid))
        return uid
    }

    /// Receives one descriptor sent with SCM_RIGHTS (close-on-exec).
    public static func receiveDescriptor(_ fd: Int32) throws(SystemError) -> Int32 {
        try check("recvmsg(SCM_RIGHTS)", berth_recv_fd(fd))
    }

    /// Sends `descriptor` over `fd` with SCM_RIGHTS.
    public static func sendDescriptor(_ descriptor: Int32, over fd: Int32) throws(SystemError) {
        _ = try check("sendmsg(SCM_RIGHTS)", berth_send_fd(fd, descriptor))
    }
}
