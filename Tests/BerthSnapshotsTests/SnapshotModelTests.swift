import BerthErrors
import BerthMetadata
import BerthSnapshots
import Foundation
import Testing

@Suite struct SnapshotModelTests {
    static let drivers: [LocalSnapshotter.Driver] = [.overlayfs, .native]

    @Test(arguments: drivers)
    func prepareCommitViewAndRemove(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let snapshots = fixture.snapshotter
            let mounts = try snapshots.prepare(key: "base-active", labels: ["stage": "one"])
            #expect(mounts.count == 1)
            #expect(mounts[0].type == "bind")
            #expect(mounts[0].options == ["rw", "rbind"])
            try "hello".write(toFile: mounts[0].source + "/hello", atomically: false, encoding: .utf8)
            #expect(try snapshots.stat(key: "base-active").kind == .active)

            try snapshots.commit(name: "base", key: "base-active", labels: ["layer": "0"])
            let base = try snapshots.stat(key: "base")
            #expect(base.kind == .committed)
            #expect(base.parent == nil)
            #expect(base.labels == ["layer": "0"])
            #expect(errorCode { _ = try snapshots.stat(key: "base-active") } == .notFound)
            #expect(errorCode { _ = try snapshots.mounts(key: "base") } == .failedPrecondition)

            let child = try snapshots.prepare(key: "child", parent: "base")
            #expect(try snapshots.stat(key: "child").parent == "base")
            let view = try snapshots.view(key: "view", parent: "base")
            #expect(try snapshots.stat(key: "view").kind == .view)
            switch driver {
            case .overlayfs:
                #expect(child[0].type == "overlay")
                #expect(child[0].option("lowerdir") != nil)
                #expect(child[0].option("upperdir") != nil)
                #expect(child[0].option("workdir") != nil)
                #expect(view[0] == Mount(type: "bind", source: mounts[0].source, options: ["ro", "rbind"]))
            case .native:
                #expect(child[0].type == "bind")
                #expect(try String(contentsOfFile: child[0].source + "/hello", encoding: .utf8) == "hello")
                #expect(view[0].options == ["ro", "rbind"])
            }
            #expect(try snapshots.mounts(key: "child") == child)

            // Refusals, with containerd's codes.
            #expect(errorCode { try snapshots.remove(key: "base") } == .failedPrecondition)
            #expect(errorCode { _ = try snapshots.prepare(key: "child", parent: "base") } == .alreadyExists)
            #expect(errorCode { _ = try snapshots.prepare(key: "orphan", parent: "missing") } == .notFound)
            #expect(errorCode { _ = try snapshots.prepare(key: "bad", parent: "child") } == .invalidArgument)
            #expect(errorCode { try snapshots.commit(name: "v2", key: "view") } == .failedPrecondition)
            #expect(errorCode { try snapshots.commit(name: "base", key: "child") } == .alreadyExists)
            #expect(errorCode { try snapshots.commit(name: "x", key: "missing") } == .notFound)
            #expect(errorCode { try snapshots.remove(key: "missing") } == .notFound)
            #expect(errorCode { _ = try snapshots.prepare(key: "") } == .invalidArgument)

            try snapshots.remove(key: "child")
            try snapshots.remove(key: "view")
            try snapshots.remove(key: "base")
            #expect(try snapshots.list(namespace: "default").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/snapshots").isEmpty)
        }
    }

    @Test func overlayMountsStackParentsNewestFirst() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let snapshots = fixture.snapshotter
            _ = try snapshots.prepare(key: "a")
            try snapshots.commit(name: "l1", key: "a")
            _ = try snapshots.prepare(key: "b", parent: "l1")
            try snapshots.commit(name: "l2", key: "b")
            let layers = try snapshots.layerDirectories(key: "l2", namespace: "default")
            #expect(layers.count == 2)
            let view = try snapshots.view(key: "v", parent: "l2")
            #expect(view.count == 1 && view[0].type == "overlay")
            #expect(view[0].option("lowerdir") == layers.joined(separator: ":"))
            #expect(view[0].option("upperdir") == nil)
            let active = try snapshots.prepare(key: "c", parent: "l2")
            #expect(active[0].option("lowerdir") == layers.joined(separator: ":"))
            #expect(active[0].option("upperdir")?.hasSuffix("/fs") == true)
            let target = try snapshots.diffTarget(key: "c", namespace: "default")
            #expect(target.lowerDirectories == layers)
            #expect(target.whiteouts == .overlay)
            #expect(DiffTarget(mounts: active) == target)
        }
    }

    @Test(arguments: drivers)
    func labelsUpdateAndFilters(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let snapshots = fixture.snapshotter
            _ = try snapshots.prepare(key: "a", labels: ["team": "red", "keep": "yes"])
            try snapshots.commit(name: "c1", key: "a", labels: ["team": "blue"])
            _ = try snapshots.prepare(key: "b", parent: "c1", labels: ["team": "green"])

            var info = try snapshots.stat(key: "b")
            info.labels = ["team": "yellow", "new": "1"]
            let updated = try snapshots.update(info, fieldPaths: ["labels.team"])
            #expect(updated.labels == ["team": "yellow"])
            #expect(updated.updatedAt >= updated.createdAt)
            info.labels = ["only": "this"]
            #expect(try snapshots.update(info).labels == ["only": "this"])
            info.labels = [:]
            #expect(try snapshots.update(info, fieldPaths: ["labels.only"]).labels == [:])
            #expect(errorCode { _ = try snapshots.update(info, fieldPaths: ["parent"]) } == .invalidArgument)
            #expect(
                errorCode { _ = try snapshots.prepare(key: "big", labels: ["k": String(repeating: "v", count: 5000)]) }
                    == .invalidArgument)

            #expect(try snapshots.list(filters: ["kind==committed"], namespace: "default").map(\.name) == ["c1"])
            #expect(try snapshots.list(filters: ["parent==c1"], namespace: "default").map(\.name) == ["b"])
            #expect(try snapshots.list(filters: ["labels.team==blue"], namespace: "default").map(\.name) == ["c1"])
            #expect(
                try snapshots.list(filters: ["kind==active", "name==c1"], namespace: "default").map(\.name).sorted()
                    == ["b", "c1"])
            #expect(try snapshots.list(filters: ["name~=^c"], namespace: "default").map(\.name) == ["c1"])
            #expect(throws: SnapshotError.self) { _ = try snapshots.list(filters: ["kind=="], namespace: "default") }
        }
    }

    @Test(arguments: drivers)
    func namespacesAreSeparate(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let snapshots = fixture.snapshotter
            _ = try snapshots.prepare(key: "same", namespace: "one")
            _ = try snapshots.prepare(key: "same", namespace: "two")
            try snapshots.commit(name: "done", key: "same", namespace: "one")
            #expect(try snapshots.stat(key: "same", namespace: "two").kind == .active)
            #expect(errorCode { _ = try snapshots.prepare(key: "x", parent: "done", namespace: "two") } == .notFound)
            let records = try snapshots.walkSnapshots()
            #expect(Set(records.map { "\($0.namespace)/\($0.key)" }) == ["one/done", "two/same"])
            #expect(snapshots.snapshotterName == driver.rawValue)
            try snapshots.removeSnapshot(namespace: "two", key: "same")
            try snapshots.removeSnapshot(namespace: "two", key: "same")  // already gone: not an error
            #expect(try snapshots.list(namespace: "two").isEmpty)
        }
    }

    @Test(arguments: drivers)
    func usageCountsBytesAndInodes(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let snapshots = fixture.snapshotter
            let mounts = try snapshots.prepare(key: "a")
            let empty = try snapshots.usage(key: "a")
            #expect(empty.inodes == 1)
            let data = Data(repeating: 7, count: 256 * 1024)
            try data.write(to: URL(fileURLWithPath: mounts[0].source + "/big"))
            try FileManager.default.createDirectory(
                atPath: mounts[0].source + "/dir", withIntermediateDirectories: false)
            #expect(link(mounts[0].source + "/big", mounts[0].source + "/dir/hardlink") == 0)
            let usage = try snapshots.usage(key: "a")
            #expect(usage.inodes == 3)  // root, big (once despite the hardlink), dir
            #expect(usage.size >= 256 * 1024)
            #expect(usage.size < 2 * 256 * 1024)
            try snapshots.commit(name: "c", key: "a")
            #expect(try snapshots.usage(key: "c") == usage)
        }
    }

    @Test(arguments: drivers)
    func cleanupRemovesDirectoriesWithoutMetadata(driver: LocalSnapshotter.Driver) async throws {
        try await SnapshotFixture.with(driver) { fixture in
            let snapshots = fixture.snapshotter
            let mounts = try snapshots.prepare(key: "kept")
            let base = fixture.root + "/snapshots"
            for leftover in ["999/fs/deep", "new-0123456789abcdef/fs", "rm-3"] {
                try FileManager.default.createDirectory(
                    atPath: base + "/" + leftover, withIntermediateDirectories: true)
            }
            let removed = try snapshots.cleanup()
            #expect(Set(removed) == [base + "/999", base + "/new-0123456789abcdef", base + "/rm-3"])
            #expect(FileManager.default.fileExists(atPath: mounts[0].source))
            #expect(try snapshots.cleanup().isEmpty)
        }
    }

    @Test func metadataSurvivesReopening() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            _ = try fixture.snapshotter.prepare(key: "a", labels: ["x": "y"])
            try fixture.snapshotter.commit(name: "c", key: "a")
            let reopened = try LocalSnapshotter(driver: .overlayfs, root: fixture.root, logger: .snapshotTest)
            #expect(try reopened.stat(key: "c").kind == .committed)
            #expect(try reopened.list(namespace: "default").count == 1)
        }
    }

    @Test func commitDiffAttachesAParent() async throws {
        try await SnapshotFixture.with(.overlayfs) { fixture in
            let snapshots = fixture.snapshotter
            _ = try snapshots.prepare(key: "a")
            try snapshots.commit(name: "l1", key: "a")
            _ = try snapshots.prepare(key: "b")
            try snapshots.commitDiff(name: "l2", key: "b", parent: "l1")
            #expect(try snapshots.stat(key: "l2").parent == "l1")
            _ = try snapshots.prepare(key: "c", parent: "l2")
            #expect(errorCode { try snapshots.commitDiff(name: "l3", key: "c", parent: "l1") } == .failedPrecondition)
            #expect(errorCode { try snapshots.remove(key: "l1") } == .failedPrecondition)
        }
    }

    @Test func driverDetection() {
        #expect(LocalSnapshotter.Driver.detect(root: "/tmp/berth-nonexistent/x") == .overlayfs)
    }
}
