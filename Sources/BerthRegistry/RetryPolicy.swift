import Foundation

/// Bounded exponential back-off with jitter for registry requests.
///
/// Attempt `n` (1-based) that failed waits `min(maxDelay, initialDelay × multiplierⁿ⁻¹)`,
/// scaled by a random factor in `[1 - jitter, 1]` ("equal jitter" when `jitter` is 0.5).
public struct RetryPolicy: Hashable, Sendable {
    /// Total attempts per operation, including the first (at least 1).
    public var maxAttempts: Int
    /// The delay after the first failure.
    public var initialDelay: Duration
    /// The largest delay.
    public var maxDelay: Duration
    /// Growth factor per failure.
    public var multiplier: Double
    /// The random fraction (0...1) taken off each delay.
    public var jitter: Double

    public init(
        maxAttempts: Int = 5,
        initialDelay: Duration = .milliseconds(200),
        maxDelay: Duration = .seconds(10),
        multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before retrying after failed attempt `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let initial = Self.seconds(initialDelay)
        let exponent = Double(max(0, attempt - 1))
        let raw = min(Self.seconds(maxDelay), initial * Foundation.pow(multiplier, exponent))
        let factor = 1 - Double.random(in: 0...jitter)
        return .nanoseconds(Int64(raw * factor * 1e9))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
