import BerthErrors
import BerthSnapshots
import BerthTestSupport
import Foundation
import Logging

extension Logger {
    /// A quiet logger for tests.
    static var snapshotTest: Logger {
        var logger = Logger(label: "berth.snapshots.test")
        logger.logLevel = .critical
        return logger
    }
}

/// A temporary directory holding a snapshotter root, a canary directory
/// that hostile layers must not touch, and scratch space. `remove()`
/// unmounts everything mounted below it (by path, from mountinfo) and
/// deletes it.
final class SnapshotFixture: Sendable {
    let directory: TemporaryDirectory
    let snapshotter: LocalSnapshotter

    var path: String { directory.path }
    var root: String { directory.path + "/root" }
    var canary: String { directory.path + "/canary" }
    var scratch: String { directory.path + "/scratch" }

    init(driver: LocalSnapshotter.Driver) throws {
        directory = try TemporaryDirectory(prefix: "berth-snap")
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory.path + "/canary", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: directory.path + "/scratch", withIntermediateDirectories: true)
        try "canary\n".write(toFile: directory.path + "/canary/sentinel", atomically: false, encoding: .utf8)
        snapshotter = try LocalSnapshotter(driver: driver, root: directory.path + "/root", logger: .snapshotTest)
    }

    /// Runs `body` with a fresh fixture and always cleans it up.
    static func with<T>(_ driver: LocalSnapshotter.Driver, _ body: (SnapshotFixture) async throws -> T) async throws
        -> T
    {
        let fixture = try SnapshotFixture(driver: driver)
        do {
            let result = try await body(fixture)
            fixture.remove()
            return result
        } catch {
            fixture.remove()
            throw error
        }
    }

    /// The canary's contents: names and the sentinel's text.
    func canaryState() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: canary).sorted()
        let sentinel = try String(contentsOfFile: canary + "/sentinel", encoding: .utf8)
        return names + [sentinel]
    }

    /// A new empty directory under scratch.
    func makeDirectory(_ name: String) throws -> String {
        let path = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Unmounts every mount below the fixture (deepest first), then deletes it.
    func remove() {
        for mountPoint in Self.mountPoints(under: directory.path).reversed() {
            try? Mount.unmountAll(mountPoint, detach: true)
        }
        directory.remove()
    }

    /// Mount points at or below `prefix`, in mount order.
    static func mountPoints(under prefix: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return point == prefix || point.hasPrefix(prefix + "/") ? point : nil
        }
    }
}

/// The code of the `BerthError` `body` throws, or nil if it does not throw.
func errorCode(_ body: () throws -> Void) -> ErrorCode? {
    do {
        try body()
        return nil
    } catch let error as any BerthError {
        return error.code
    } catch {
        return .unknown
    }
}
