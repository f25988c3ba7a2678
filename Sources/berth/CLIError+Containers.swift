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
}
