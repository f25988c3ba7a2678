extension ImageConfig {
    /// The default execution parameters of the image (`config`, and Docker's
    /// `container_config`). JSON keys are PascalCase.
    ///
    /// The OCI fields come first; the rest are Docker's `container.Config`
    /// fields that the Docker builder writes into image configs. `ExposedPorts`
    /// and `Volumes` are JSON objects with empty values (`{"80/tcp": {}}`) and
    /// are modelled as sets of their keys.
    public struct Config: Hashable, Sendable, Codable {
        /// The user (and optionally group) to run as: `name`, `uid`, `name:group`, `uid:gid`, ….
        public var user: String?
        /// Ports to expose, e.g. `80/tcp`, `53/udp`.
        public var exposedPorts: Set<String>?
        /// Environment variables, `NAME=value`.
        public var env: [String]?
        /// The command to run; `cmd` is appended as arguments.
        public var entrypoint: [String]?
        /// Default arguments (or the command, if there is no entrypoint).
        public var cmd: [String]?
        /// Paths that should be volumes.
        public var volumes: Set<String>?
        /// The working directory of the process.
        public var workingDir: String?
        /// Arbitrary metadata.
        public var labels: [String: String]?
        /// The signal that stops the container, e.g. `SIGTERM` or `15`.
        public var stopSignal: String?
        /// Windows: the command line is already escaped (deprecated, written by Docker).
        public var argsEscaped: Bool?

        /// Docker: how to check the container is healthy.
        public var healthcheck: Healthcheck?
        /// Docker: build instructions to run when this image is used as a base.
        public var onBuild: [String]?
        /// Docker: the shell for the shell form of RUN, CMD and ENTRYPOINT.
        public var shell: [String]?
        /// Docker: the container's hostname.
        public var hostname: String?
        /// Docker: the container's domain name.
        public var domainName: String?
        /// Docker: attach stdin.
        public var attachStdin: Bool?
        /// Docker: attach stdout.
        public var attachStdout: Bool?
        /// Docker: attach stderr.
        public var attachStderr: Bool?
        /// Docker: allocate a TTY.
        public var tty: Bool?
        /// Docker: keep stdin open.
        public var openStdin: Bool?
        /// Docker: close stdin after the first attach detaches.
        public var stdinOnce: Bool?
        /// Docker: the image the container was created from.
        public var image: String?
        /// Docker: disable networking.
        public var networkDisabled: Bool?
        /// Docker: the container's MAC address.
        public var macAddress: String?
        /// Docker: seconds to wait after `stopSignal` before killing.
        public var stopTimeout: Int?

        public init(
            user: String? = nil,
            exposedPorts: Set<String>? = nil,
            env: [String]? = nil,
            entrypoint: [String]? = nil,
            cmd: [String]? = nil,
            volumes: Set<String>? = nil,
            workingDir: String? = nil,
            labels: [String: String]? = nil,
            stopSignal: String? = nil,
            argsEscaped: Bool? = nil,
            healthcheck: Healthcheck? = nil,
            onBuild: [String]? = nil,
            shell: [String]? = nil,
            hostname: String? = nil,
            domainName: String? = nil,
            attachStdin: Bool? = nil,
            attachStdout: Bool? = nil,
            attachStderr: Bool? = nil,
            tty: Bool? = nil,
            openStdin: Bool? = nil,
            stdinOnce: Bool? = nil,
            image: String? = nil,
            networkDisabled: Bool? = nil,
            macAddress: String? = nil,
            stopTimeout: Int? = nil
        ) {
            self.user = user
            self.exposedPorts = exposedPorts
            self.env = env
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.volumes = volumes
            self.workingDir = workingDir
            self.labels = labels
            self.stopSignal = stopSignal
            self.argsEscaped = argsEscaped
            self.healthcheck = healthcheck
            self.onBuild = onBuild
            self.shell = shell
            self.hostname = hostname
            self.domainName = domainName
            self.attachStdin = attachStdin
            self.attachStdout = attachStdout
            self.attachStderr = attachStderr
            self.tty = tty
            self.openStdin = openStdin
            self.stdinOnce = stdinOnce
            self.image = image
            self.networkDisabled = networkDisabled
            self.macAddress = macAddress
            self.stopTimeout = stopTimeout
        }

        enum CodingKeys: String, CodingKey {
            case user = "User"
            case exposedPorts = "ExposedPorts"
            case env = "Env"
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case volumes = "Volumes"
            case workingDir = "WorkingDir"
            case labels = "Labels"
            case stopSignal = "StopSignal"
            case argsEscaped = "ArgsEscaped"
            case healthcheck = "Healthcheck"
            case onBuild = "OnBuild"
            case shell = "Shell"
            case hostname = "Hostname"
            case domainName = "Domainname"
            case attachStdin = "AttachStdin"
            case attachStdout = "AttachStdout"
            case attachStderr = "AttachStderr"
            case tty = "Tty"
            case openStdin = "OpenStdin"
            case stdinOnce = "StdinOnce"
            case image = "Image"
            case networkDisabled = "NetworkDisabled"
            case macAddress = "MacAddress"
            case stopTimeout = "StopTimeout"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            user = try c.decodeIfPresent(String.self, forKey: .user)
            exposedPorts = try c.decodeIfPresent(EmptyValueSet.self, forKey: .exposedPorts)?.keys
            env = try c.decodeIfPresent([String].self, forKey: .env)
            entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
            cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
            volumes = try c.decodeIfPresent(EmptyValueSet.self, forKey: .volumes)?.keys
            workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
            stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
            argsEscaped = try c.decodeIfPresent(Bool.self, forKey: .argsEscaped)
            healthcheck = try c.decodeIfPresent(Healthcheck.self, forKey: .healthcheck)
            onBuild = try c.decodeIfPresent([String].self, forKey: .onBuild)
            shell = try c.decodeIfPresent([String].self, forKey: .shell)
            hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
            domainName = try c.decodeIfPresent(String.self, forKey: .domainName)
            attachStdin = try c.decodeIfPresent(Bool.self, forKey: .attachStdin)
            attachStdout = try c.decodeIfPresent(Bool.self, forKey: .attachStdout)
            attachStderr = try c.decodeIfPresent(Bool.self, forKey: .attachStderr)
            tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
            openStdin = try c.decodeIfPresent(Bool.self, forKey: .openStdin)
            stdinOnce = try c.decodeIfPresent(Bool.self, forKey: .stdinOnce)
            image = try c.decodeIfPresent(String.self, forKey: .image)
            networkDisabled = try c.decodeIfPresent(Bool.self, forKey: .networkDisabled)
            macAddress = try c.decodeIfPresent(String.self, forKey: .macAddress)
            stopTimeout = try c.decodeIfPresent(Int.self, forKey: .stopTimeout)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(user, forKey: .user)
            try c.encodeIfPresent(exposedPorts.map(EmptyValueSet.init), forKey: .exposedPorts)
            try c.encodeIfPresent(env, forKey: .env)
            try c.encodeIfPresent(entrypoint, forKey: .entrypoint)
            try c.encodeIfPresent(cmd, forKey: .cmd)
            try c.encodeIfPresent(volumes.map(EmptyValueSet.init), forKey: .volumes)
            try c.encodeIfPresent(workingDir, forKey: .workingDir)
            try c.encodeIfPresent(labels, forKey: .labels)
            try c.encodeIfPresent(stopSignal, forKey: .stopSignal)
            try c.encodeIfPresent(argsEscaped, forKey: .argsEscaped)
            try c.encodeIfPresent(healthcheck, forKey: .healthcheck)
            try c.encodeIfPresent(onBuild, forKey: .onBuild)
            try c.encodeIfPresent(shell, forKey: .shell)
            try c.encodeIfPresent(hostname, forKey: .hostname)
            try c.encodeIfPresent(domainName, forKey: .domainName)
            try c.encodeIfPresent(attachStdin, forKey: .attachStdin)
            try c.encodeIfPresent(attachStdout, forKey: .attachStdout)
            try c.encodeIfPresent(attachStderr, forKey: .attachStderr)
            try c.encodeIfPresent(tty, forKey: .tty)
            try c.encodeIfPresent(openStdin, forKey: .openStdin)
            try c.encodeIfPresent(stdinOnce, forKey: .stdinOnce)
            try c.encodeIfPresent(image, forKey: .image)
            try c.encodeIfPresent(networkDisabled, forKey: .networkDisabled)
            try c.encodeIfPresent(macAddress, forKey: .macAddress)
            try c.encodeIfPresent(stopTimeout, forKey: .stopTimeout)
        }
    }
}

// MARK: - Healthcheck

extension ImageConfig {
    /// Docker's health check (`config.Healthcheck`). Durations are integer
    /// nanoseconds in JSON.
    public struct Healthcheck: Hashable, Sendable, Codable {
        /// The test: `[]` inherits, `["NONE"]` disables, `["CMD", args...]` or `["CMD-SHELL", command]`.
        public var test: [String]?
        /// Time between checks.
        public var interval: Duration?
        /// Time after which one check is considered hung.
        public var timeout: Duration?
        /// Time to wait for the container to start before failures count.
        public var startPeriod: Duration?
        /// Time between checks during the start period.
        public var startInterval: Duration?
        /// Consecutive failures needed to be unhealthy.
        public var retries: Int?

        public init(
            test: [String]? = nil,
            interval: Duration? = nil,
            timeout: Duration? = nil,
            startPeriod: Duration? = nil,
            startInterval: Duration? = nil,
            retries: Int? = nil
        ) {
            self.test = test
            self.interval = interval
            self.timeout = timeout
            self.startPeriod = startPeriod
            self.startInterval = startInterval
            self.retries = retries
        }

        enum CodingKeys: String, CodingKey {
            case test = "Test"
            case interval = "Interval"
            case timeout = "Timeout"
            case startPeriod = "StartPeriod"
            case startInterval = "StartInterval"
            case retries = "Retries"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            test = try c.decodeIfPresent([String].self, forKey: .test)
            interval = try c.decodeIfPresent(Int64.self, forKey: .interval).map(Duration.nanoseconds)
            timeout = try c.decodeIfPresent(Int64.self, forKey: .timeout).map(Duration.nanoseconds)
            startPeriod = try c.decodeIfPresent(Int64.self, forKey: .startPeriod).map(Duration.nanoseconds)
            startInterval = try c.decodeIfPresent(Int64.self, forKey: .startInterval).map(Duration.nanoseconds)
            retries = try c.decodeIfPresent(Int.self, forKey: .retries)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(test, forKey: .test)
            try c.encodeIfPresent(interval.map(Self.nanoseconds), forKey: .interval)
            try c.encodeIfPresent(timeout.map(Self.nanoseconds), forKey: .timeout)
            try c.encodeIfPresent(startPeriod.map(Self.nanoseconds), forKey: .startPeriod)
            try c.encodeIfPresent(startInterval.map(Self.nanoseconds), forKey: .startInterval)
            try c.encodeIfPresent(retries, forKey: .retries)
        }

        /// Whole nanoseconds, saturating at the bounds of `Int64`.
        static func nanoseconds(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            if overflow {
                return seconds < 0 ? Int64.min : Int64.max
            }
            let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
            if overflow2 {
                return seconds < 0 ? Int64.min : Int64.max
            }
            return total
        }
    }
}

// MARK: - JSON object with empty values

extension ImageConfig {
    /// A JSON object whose values are ignored (`{"80/tcp": {}}`), as Go's
    /// `map[string]struct{}`; encodes each key with an empty object.
    struct EmptyValueSet: Codable {
        var keys: Set<String>

        init(_ keys: Set<String>) {
            self.keys = keys
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: DynamicKey.self)
            keys = Set(container.allKeys.map(\.stringValue))
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            for key in keys.sorted() {
                _ = container.nestedContainer(keyedBy: DynamicKey.self, forKey: DynamicKey(key))
            }
        }
    }

    /// A coding key for arbitrary string keys.
    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ string: String) {
            self.stringValue = string
        }

        init?(stringValue: String) {
            self.stringValue = stringValue
        }

        init?(intValue: Int) {
            self.stringValue = String(intValue)
        }
    }
}
