import BerthSystem
public import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ExecutorInfo {
    /// The executors Berth knows how to drive, in order of preference.
    public static let knownNames = ["runc", "crun", "runsc"]

    /// Executors whose `features` command Berth tries. runsc has none.
    static let namesWithFeaturesCommand: Set<String> = ["runc", "crun"]

    /// Directories searched after `searchPath`, where distributions install
    /// executors even when they are not on the caller's PATH.
    static let fallbackDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// Finds the known executors on `searchPath` (then the usual bin
    /// directories) and examines each: version, then features.
    public static func discover(searchPath: [String], logger: Logger) -> [ExecutorInfo] {
        knownNames.compactMap { name in
            locate(name, searchPath: searchPath).map { examine(name: name, path: $0, logger: logger) }
        }
    }

    /// The first executable `name` in `searchPath` or the fallback directories.
    static func locate(_ name: String, searchPath: [String]) -> String? {
        for directory in searchPath + fallbackDirectories where directory.hasPrefix("/") {
            let candidate = (directory.hasSuffix("/") ? directory : directory + "/") + name
            if HostFiles.isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// Runs `path --version` and, where supported, `path features`; falls
    /// back to ``ExecutorFeatures/staticTable(for:versionOutput:)``.
    static func examine(name: String, path: String, logger: Logger) -> ExecutorInfo {
        var info = ExecutorInfo(name: name, path: path)
        var versionOutput = ""
        switch runForOutput(path, ["--version"]) {
        case .success(let output):
            versionOutput = output
            info.version = output.split(separator: "\n").first.map { $0.trimmingSpaces() }
        case .failure(let problem):
            info.warnings.append("\(name) --version: \(problem.text)")
        }

        if namesWithFeaturesCommand.contains(name) {
            switch runForOutput(path, ["features"]) {
            case .success(let output):
                do {
                    info.features = try JSONDecoder().decode(ExecutorFeatures.self, from: Data(output.utf8))
                    info.featuresSource = .executor
                } catch {
                    info.warnings.append("\(name) features: output is not features JSON")
                }
            case .failure(let problem):
                logger.debug(
                    "executor has no usable features command",
                    metadata: ["executor": "\(name)", "problem": "\(problem.text)"])
            }
        }
        if info.features == nil, let entry = ExecutorFeatures.staticTable(for: name, versionOutput: versionOutput) {
            info.features = entry
            info.featuresSource = .staticTable
        }
        return info
    }

    /// Why a helper command gave no output.
    struct RunProblem: Error {
        var text: String
    }

    /// Runs a helper; success only when it exits 0.
    static func runForOutput(_ path: String, _ arguments: [String]) -> Result<String, RunProblem> {
        do {
            let output = try CommandRunner.run(path, arguments)
            if output.timedOut { return .failure(RunProblem(text: "timed out")) }
            guard output.status == .exited(0) else { return .failure(RunProblem(text: "\(output.status)")) }
            return .success(output.stdout)
        } catch {
            return .failure(RunProblem(text: error.message))
        }
    }
}
