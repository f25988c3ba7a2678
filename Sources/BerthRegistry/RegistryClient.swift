import AsyncHTTPClient
public import Logging
import NIOCore

/// An OCI distribution-spec client: resolve, pull into a content store, push.
///
/// One client serves any number of registries and concurrent operations; it
/// caches bearer tokens per host and scope. Call `shutdown()` when done.
///
///     let client = RegistryClient(configuration: .init(hosts: RegistryHosts(plainHTTP: ["127.0.0.1:5000"])),
///                                 logger: logger)
///     defer { Task { try await client.shutdown() } }
///     let result = try await client.pull(ImageReference(parsing: "127.0.0.1:5000/busybox"), into: store)
public final class RegistryClient: Sendable {
    /// Settings shared by every operation of one client.
    public struct Configuration: Sendable {
        /// Endpoints per registry: plain HTTP hosts and the hosts directory.
        public var hosts: RegistryHosts
        /// Credentials per registry host.
        public var credentials: any CredentialsProvider
        /// Layers downloaded at once (containerd's default is 3).
        public var maxConcurrentDownloads: Int
        /// Blobs uploaded at once.
        public var maxConcurrentUploads: Int
        /// Back-off for failed requests and broken downloads.
        public var retry: RetryPolicy
        /// Size and depth limits on documents.
        public var limits: RegistryLimits
        /// Connection establishment timeout.
        public var connectTimeout: Duration
        /// How long a response may stall without bytes before the request fails.
        public var readTimeout: Duration
        /// Deadline for small requests (manifests, tokens, uploads' control requests).
        public var requestTimeout: Duration
        /// The `User-Agent` header.
        public var userAgent: String

        public init(
            hosts: RegistryHosts = RegistryHosts(),
            credentials: any CredentialsProvider = StaticCredentials(),
            maxConcurrentDownloads: Int = 3,
            maxConcurrentUploads: Int = 3,
            retry: RetryPolicy = RetryPolicy(),
            limits: RegistryLimits = RegistryLimits(),
            connectTimeout: Duration = .seconds(30),
            readTimeout: Duration = .seconds(60),
            requestTimeout: Duration = .seconds(120),
            userAgent: String = "berth/0.1"
        ) {
            self.hosts = hosts
            self.credentials = credentials
            self.maxConcurrentDownloads = max(1, maxConcurrentDownloads)
            self.maxConcurrentUploads = max(1, maxConcurrentUploads)
            self.retry = retry
            self.limits = limits
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.requestTimeout = requestTimeout
            self.userAgent = userAgent
        }
    }

    /// This client's settings.
    public let configuration: Configuration
    let logger: Logger
    let http: HTTPClient
    let authorizer: Authorizer

    /// Creates a client. The caller must `shutdown()` it.
    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(Self.nanoseconds(configuration.connectTimeout)),
                read: .nanoseconds(Self.nanoseconds(configuration.readTimeout))),
            decompression: .disabled)
        // A refused connection fails at once; the retry policy (and the next
        // mirror) decide what happens next.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration,
            backgroundActivityLogger: logger)
        self.http = http
        self.authorizer = Authorizer(
            credentials: configuration.credentials, http: http, userAgent: configuration.userAgent,
            timeout: configuration.requestTimeout, logger: logger)
    }

    /// Closes connections. The client cannot be used afterwards.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Limits that protect the client from hostile or broken registries.
public struct RegistryLimits: Hashable, Sendable {
    /// The largest manifest or index accepted (containerd: 4 MiB).
    public var maxManifestSize: Int64
    /// The largest image config accepted.
    public var maxConfigSize: Int64
    /// How deep indexes may nest inside indexes.
    public var maxIndexDepth: Int
    /// Redirects followed per request.
    public var maxRedirects: Int
    /// How much of an error response body is read for its message.
    public var maxErrorBodySize: Int

    public init(
        maxManifestSize: Int64 = 4 << 20,
        maxConfigSize: Int64 = 8 << 20,
        maxIndexDepth: Int = 4,
        maxRedirects: Int = 5,
        maxErrorBodySize: Int = 64 << 10
    ) {
        self.maxManifestSize = maxManifestSize
        self.maxConfigSize = maxConfigSize
        self.maxIndexDepth = maxIndexDepth
        self.maxRedirects = maxRedirects
        self.maxErrorBodySize = maxErrorBodySize
    }
}
