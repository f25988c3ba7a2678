import BerthErrors
import GRPCCore

extension RPCError {
    /// The one place a Berth error becomes a gRPC status: `ErrorCode` maps
    /// 1:1 onto the gRPC code, and the message travels unchanged (containerd
    /// clients branch on the code only).
    public init(berth error: some BerthError) {
        let code = Status.Code(rawValue: error.code.grpcStatus).flatMap(RPCError.Code.init) ?? .unknown
        self.init(code: code, message: error.message)
    }

    /// Any error as a gRPC status: RPC errors pass through, Berth errors map
    /// by code, and anything else is Unknown (as containerd reports plain Go
    /// errors).
    public init(converting error: any Error) {
        switch error {
        case let rpc as RPCError: self = rpc
        case let berth as any BerthError: self.init(berth: berth)
        default: self.init(code: .unknown, message: "\(error)")
        }
    }
}

/// Runs `body`, turning any error it throws into an `RPCError`.
func rpc<T>(_ body: () async throws -> T) async throws(RPCError) -> T {
    do {
        return try await body()
    } catch {
        throw RPCError(converting: error)
    }
}
