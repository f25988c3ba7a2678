import ArgumentParser
import Foundation
import GRPCCore

/// Why a command failed, and the exit status it maps to (Docker's
/// convention: 125 when the daemon or the connection to it failed).
struct CLIError: Error, CustomStringConvertible {
    /// The exit status for errors from the daemon.
    static let daemonExitCode: Int32 = 125

    var description: String
    var exitCode: Int32

    /// A failure of the daemon or of the connection to it.
    static func daemon(_ error: any Error, address: String) -> CLIError {
        guard let rpc = error as? RPCError else {
            return CLIError(description: "berthd at \(address): \(error)", exitCode: daemonExitCode)
        }
        if rpc.code == .unavailable, rpc.message.lowercased().contains("connect") || rpc.message.isEmpty {
            return CLIError(
                description: "cannot connect to berthd at \(address) (is it running?): \(rpc.message)",
                exitCode: daemonExitCode)
        }
        return CLIError(
            description: "error from berthd (\(codeName(rpc.code))): \(rpc.message)", exitCode: daemonExitCode)
    }

    /// A failure on this side (bad input, unwritable output): exit status 1.
    static func local(_ message: String) -> CLIError {
        CLIError(description: message, exitCode: 1)
    }

    /// containerd's words for gRPC codes.
    static func codeName(_ code: RPCError.Code) -> String {
        switch code {
        case .notFound: "not found"
        case .alreadyExists: "already exists"
        case .invalidArgument: "invalid argument"
        case .failedPrecondition: "failed precondition"
        case .unavailable: "unavailable"
        case .permissionDenied: "permission denied"
        case .unauthenticated: "unauthenticated"
        case .unimplemented: "not implemented"
        case .resourceExhausted: "resource exhausted"
        case .deadlineExceeded: "deadline exceeded"
        case .cancelled: "cancelled"
        default: "\(code)"
        }
    }
}

extension ParsableCommand {
    /// Runs `body`; a `CLIError` is printed to stderr as `berth: …` and
    /// becomes the process's exit status.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("berth: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
