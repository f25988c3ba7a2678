import BerthErrors
import BerthOCI
import Testing

@testable import BerthRegistry

@Suite("Image references")
struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test(
        "docker.io normalisation",
        arguments: [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("user/repo", "docker.io/user/repo:latest"),
            ("docker.io/busybox", "docker.io/library/busybox:latest"),
            ("index.docker.io/library/busybox:x", "docker.io/library/busybox:x"),
            ("host:5000/repo:tag", "host:5000/repo:tag"),
            ("127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c:latest"),
            ("localhost/repo", "localhost/repo:latest"),
            ("localhost:5000/repo:v1", "localhost:5000/repo:v1"),
            ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
            ("example.com/a.b_c__d---e/f:T_a.g-1", "example.com/a.b_c__d---e/f:T_a.g-1"),
        ])
    func normalises(input: String, expected: String) throws {
        #expect(try ImageReference(parsing: input).description == expected)
    }

    @Test("references by digest keep no default tag; tag and digest are both kept")
    func digests() throws {
        let byDigest = try ImageReference(parsing: "busybox@\(Self.digest)")
        #expect(byDigest.tag == nil)
        #expect(byDigest.digest?.description == Self.digest)
        #expect(byDigest.description == "docker.io/library/busybox@\(Self.digest)")
        #expect(byDigest.manifestReference == Self.digest)

        let both = try ImageReference(parsing: "host:5000/repo:tag@\(Self.digest)")
        #expect(both.tag == "tag")
        #expect(both.manifestReference == Self.digest)
        #expect(both.domain == "host:5000")
        #expect(both.path == "repo")
    }

    @Test("familiar form drops docker.io and library/")
    func familiar() throws {
        #expect(try ImageReference(parsing: "busybox").familiarDescription == "busybox:latest")
        #expect(try ImageReference(parsing: "user/repo:v").familiarDescription == "user/repo:v")
        #expect(try ImageReference(parsing: "h:1/r:v").familiarDescription == "h:1/r:v")
    }

    /// Found by hack/fuzz.sh (fuzz-reference): the familiar form of
    /// `index.docker.io/cker.io/uspest` was `cker.io/uspest:latest`, which
    /// names the registry `cker.io`, and that of
    /// `docker.io/docker.io/a.i/a.i/0` was `docker.io/a.i/a.i/0:latest`.
    @Test(
        "familiar form keeps docker.io when the short name would read differently",
        arguments: [
            ("index.docker.io/cker.io/uspest", "docker.io/cker.io/uspest:latest"),
            ("docker.io/docker.io/a.i/a.i/0", "docker.io/docker.io/a.i/a.i/0:latest"),
            ("docker.io/index.docker.io/x", "docker.io/index.docker.io/x:latest"),
            ("docker.io/my.org/app:1", "docker.io/my.org/app:1"),
            ("docker.io/localhost/app", "docker.io/localhost/app:latest"),
            ("docker.io/library/a.b", "a.b:latest"),
            ("docker.io/org/a.b", "org/a.b:latest"),
        ])
    func familiarFormParsesBack(input: String, familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.familiarDescription == familiar)
        #expect(try ImageReference(parsing: reference.familiarDescription) == reference)
    }

    @Test(
        "bad references are rejected with a clear message",
        arguments: [
            ("", "empty"),
            ("Busybox", "lowercase"),
            ("docker.io/User/repo", "lowercase"),
            ("repo:", "tag"),
            ("repo:-x", "tag"),
            ("repo@sha256:abc", "sha256"),
            ("repo@md5:" + String(repeating: "a", count: 32), "unsupported algorithm"),
            ("a//b", "path component"),
            ("a/b_/c", "path component"),
            ("host:99999/repo", "port"),
            ("-host.com/repo", "label"),
            (String(repeating: "a", count: 64), "hexadecimal"),
            ("example.com/" + String(repeating: "a", count: 250), "255"),
            (":tag", "missing repository"),
        ])
    func rejects(input: String, fragment: String) {
        do {
            _ = try ImageReference(parsing: input)
            Issue.record("\"\(input)\" parsed")
        } catch let error as RegistryError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("WWW-Authenticate challenges")
struct AuthChallengeTests {
    @Test("bearer with realm, service and scope")
    func bearer() {
        let header =
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
        let challenges = AuthChallenge.parse(header)
        #expect(challenges.count == 1)
        #expect(challenges.first?.scheme == "bearer")
        #expect(challenges.first?.parameters["realm"] == "https://auth.docker.io/token")
        #expect(challenges.first?.parameters["service"] == "registry.docker.io")
        #expect(challenges.first?.parameters["scope"] == "repository:library/busybox:pull")
    }

    @Test("several challenges, escapes, unquoted values and odd spacing")
    func several() {
        let header =
            #"Basic realm="a \"quoted\" realm", Bearer realm=https://x/token , service = "s", error="insufficient_scope""#
        let challenges = AuthChallenge.parse(header)
        #expect(challenges.map(\.scheme) == ["basic", "bearer"])
        #expect(challenges[0].parameters["realm"] == #"a "quoted" realm"#)
        #expect(challenges[1].parameters["realm"] == "https://x/token")
        #expect(challenges[1].parameters["service"] == "s")
        #expect(challenges[1].parameters["error"] == "insufficient_scope")
    }

    @Test("garbage does not loop or crash")
    func garbage() {
        #expect(AuthChallenge.parse("").isEmpty)
        #expect(AuthChallenge.parse("=,=\"").isEmpty)
        #expect(AuthChallenge.parse("Negotiate abc==").map(\.scheme) == ["negotiate"])
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("delays grow exponentially, stay bounded and carry jitter")
    func delays() {
        let policy = RetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(100), maxDelay: .seconds(1), jitter: 0.5)
        for attempt in 1...10 {
            let delay = policy.delay(afterAttempt: attempt)
            let ceiling = min(Duration.milliseconds(100 * (1 << (attempt - 1))), .seconds(1))
            #expect(delay <= ceiling)
            #expect(delay >= ceiling / 2)
        }
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}
