extension Spec {
    /// Commands run at points of the container lifecycle.
    public struct Hooks: Codable, Equatable, Hashable, Sendable {
        /// Deprecated: run in the runtime namespace after create, before pivot_root.
        /// Use `createRuntime` instead.
        public var prestart: [Hook]?
        /// Run in the runtime namespace during create, before pivot_root.
        public var createRuntime: [Hook]?
        /// Run in the container namespaces during create, before pivot_root.
        public var createContainer: [Hook]?
        /// Run in the container namespaces during start, before the user process.
        public var startContainer: [Hook]?
        /// Run in the runtime namespace after the user process has started.
        public var poststart: [Hook]?
        /// Run in the runtime namespace after the container is deleted.
        public var poststop: [Hook]?

        public init(
            prestart: [Hook]? = nil,
            createRuntime: [Hook]? = nil,
            createContainer: [Hook]? = nil,
            startContainer: [Hook]? = nil,
            poststart: [Hook]? = nil,
            poststop: [Hook]? = nil
        ) {
            self.prestart = prestart
            self.createRuntime = createRuntime
            self.createContainer = createContainer
            self.startContainer = startContainer
            self.poststart = poststart
            self.poststop = poststop
        }
    }

    /// One hook command. It receives the container state on stdin.
    public struct Hook: Codable, Equatable, Hashable, Sendable {
        /// Absolute path of the executable, in the runtime namespace.
        public var path: String
        /// Full `argv`, including `argv[0]`.
        public var args: [String]?
        /// Environment in `KEY=value` form.
        public var env: [String]?
        /// Seconds before the hook is aborted; at least 1.
        public var timeout: Int?

        public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
            self.path = path
            self.args = args
            self.env = env
            self.timeout = timeout
        }
    }
}
