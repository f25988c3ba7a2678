import ArgumentParser
import BerthAPI
import BerthErrors
import BerthShimProto
import Foundation
import SwiftProtobuf

extension ParsableCommand {
    /// Like `reportingErrors`, but any other failure (a bad flag value, a spec
    /// that cannot be generated, a local file) is also reported and exits
    /// with 125, as Docker's container commands do. `ExitCode` (the
    /// container's own status) passes through.
    func reportingContainerErrors(_ body: () async throws -> Void) async throws {
        try await reportingErrors {
            do {
                try await body()
            } catch let error as CLIError {
                throw error
            } catch let error as ExitCode {
                throw error
            } catch let error as any BerthError {
                throw CLIError(description: error.message, exitCode: CLIError.daemonExitCode)
            } catch {
                throw CLIError(description: "\(error)", exitCode: CLIError.daemonExitCode)
            }
        }
    }

    /// Runs `body` for each container named, as Docker's `rm`, `stop` and
    /// `kill` do: a failure is reported and the next one is still tried;
    /// the command then exits with the last failure's status.
    func forEachContainer(_ references: [String], _ body: (String) async throws -> Void) async throws {
        var failure: ExitCode?
        for reference in references {
            do {
                try await reportingContainerErrors { try await body(reference) }
            } catch let exit as ExitCode {
                failure = exit
            }
        }
        if let failure { throw failure }
    }
}
