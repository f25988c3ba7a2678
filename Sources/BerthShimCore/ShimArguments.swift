/// The shim's command line, parsed the way Go's `flag` package does for
/// containerd: single- or double-dash flags, `-flag value` or
/// `-flag=value`, and the action as the first positional argument.
import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

public struct ShimArguments: Sendable, Equatable {
    /// What the shim was asked to do.
    public enum Action: Sendable, Equatable {
        /// Bootstrap: create the socket, start the long-running shim, print the address.
        case start
        /// Clean up after a dead shim and print a DeleteResponse.
        case delete
        /// Serve the Task service (the long-running shim, started by `start`).
        case serve
        /// Print the version.
        case version
    }

    public var action: Action = .serve
    public var namespace = ""
    public var id = ""
    /// The daemon's gRPC address (only used to name the socket).
    public var address = ""
    public var publishBinary = ""
    public var bundle = ""
    /// An explicit socket path (`-socket`), overriding the derived one.
    public var socket = ""
    public var debug = false

    public init() {}

    /// Parses `arguments` (without argv[0]).
    public init(parsing arguments: [String]) throws(ShimError) {
        var index = 0
        var positional: [String] = []
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-", argument != "--" else {
                positional.append(argument)
                continue
            }
            var name = String(argument.drop { $0 == "-" })
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            func take() throws(ShimError) -> String {
                if let value { return value }
                guard index < arguments.count else { throw .invalid("flag needs an argument: -\(name)") }
                index += 1
                return arguments[index - 1]
            }
            switch name {
            case "namespace": namespace = try take()
            case "id": id = try take()
            case "address": address = try take()
            case "publish-binary": publishBinary = try take()
            case "bundle": bundle = try take()
            case "socket": socket = try take()
            case "debug": debug = value.map { $0 == "true" || $0 == "1" } ?? true
            case "v", "version": action = .version
            default: throw .invalid("flag provided but not defined: -\(name)")
            }
        }
        if action == .version { return }
        switch positional.first {
        case nil: action = .serve
        case "start": action = .start
        case "delete": action = .delete
        case let other?: throw .invalid("unknown action \(other.debugDescription)")
        }
    }
}
