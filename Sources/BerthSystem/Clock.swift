import CBerthSys

/// A point in wall-clock time, as protobuf's `Timestamp` holds it.
public struct WallTime: Hashable, Sendable, Comparable {
    /// Seconds since the Unix epoch.
    public var seconds: Int64
    /// Nanoseconds within the second (0 ..< 1e9).
    public var nanoseconds: Int32

    /// Makes a time from its parts.
    public init(seconds: Int64, nanoseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The current time. The corresponding C call is
    /// `clock_gettime(CLOCK_REALTIME)`.
    public static func now() -> WallTime {
        var seconds: Int64 = 0
        var nanoseconds: Int32 = 0
        _ = berth_clock_realtime(&seconds, &nanoseconds)
        return WallTime(seconds: seconds, nanoseconds: nanoseconds)
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. `2024-05-01T10:00:00.000000001Z`.
    public var rfc3339: String {
        var fields: [Int32] = [0, 0, 0, 0, 0, 0]
        _ = berth_gmtime(seconds, &fields)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(fields[0], 4) + "-" + pad(fields[1], 2) + "-" + pad(fields[2], 2) + "T" + pad(fields[3], 2)
            + ":" + pad(fields[4], 2) + ":" + pad(fields[5], 2) + "." + pad(nanoseconds, 9) + "Z"
    }
}

/// A monotonic clock in milliseconds, for timeouts.
public enum MonotonicClock {
    /// Milliseconds since an arbitrary fixed point. The corresponding C call
    /// is `clock_gettime(CLOCK_MONOTONIC)`.
    public static func milliseconds() -> Int64 {
        berth_clock_monotonic_ms()
    }

    /// Microseconds on the same clock. CLOCK_MONOTONIC is one clock for
    /// every process of the host, so two processes can compare readings.
    public static func microseconds() -> Int64 {
        berth_clock_monotonic_us()
    }
}
