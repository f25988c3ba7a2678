import GRPCCore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Logs every API call with its duration at debug level (`--log-level
/// debug`): the first place to look when a client is slow. The time covers
/// the handler up to its response (a stream's messages are not included).
struct CallLogInterceptor: ServerInterceptor {
    let logger: Logger

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard logger.logLevel <= .debug else { return try await next(request, context) }
        let start = Self.microseconds()
        let response = try await next(request, context)
        let failure: String? =
            switch response.accepted {
            case .success: nil
            case .failure(let error): "\(error.code)"
            }
        logger.debug(
            "call",
            metadata: [
                "method": "\(context.descriptor.service.fullyQualifiedService)/\(context.descriptor.method)",
                "us": "\(Self.microseconds() - start)",
                "error": failure.map { .string($0) } ?? "-",
            ])
        return response
    }

    static func microseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
