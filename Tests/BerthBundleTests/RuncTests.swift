import BerthBundle
import BerthOCI
import BerthTestSupport
import Foundation
import Testing

/// Prints the facts the tests check, one `key=value` per line.
private let factsScript = """
    echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G)"; echo "cwd=$(pwd)"
    echo "hostname=$(hostname)"; echo "env=$(env | sort | tr '\\n' ' ')"
    grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t' | tr ':' '='
    echo "interrupts=$(wc -c < /proc/interrupts)"
    echo "procsys=$(awk '$2 == "/proc/sys" { print $4 }' /proc/self/mounts)"
    echo "pidsmax=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
    if touch /written 2>/dev/null; then echo "rootfs=writable"; else echo "rootfs=read-only"; fi
    echo "nofile=$(ulimit -n)"

    """

@Suite(
    "generated bundles run with real runc",
    .serialized,
    .enabled(if: Runc.unavailableReason == nil, "\(Runc.unavailableReason ?? "")"),
    .timeLimit(.minutes(2))
)
struct RuncTests {
    private func facts(_ configure: (inout SpecOptions) throws -> Void = { _ in }) throws -> [String: String] {
        let bundle = try RuncBundle(script: factsScript, configure)
        defer { bundle.remove() }
        let facts = try bundle.facts()
        #expect(facts["exit"] == "0", "runc failed: \(facts["stderr"] ?? "")")
        return facts
    }

    @Test("defaults: root, default capabilities, seccomp, masked and read-only paths, hostname from the id")
    func defaults() throws {
        let bundle = try RuncBundle(script: factsScript)
        defer { bundle.remove() }
        let facts = try bundle.facts()
        #expect(facts["exit"] == "0", "\(facts["stderr"] ?? "")")
        #expect(facts["uid"] == "0")
        #expect(facts["gid"] == "0")
        #expect(facts["groups"] == "0 10")
        #expect(facts["cwd"] == "/")
        #expect(facts["hostname"] == String(bundle.id.prefix(12)))
        let env = facts["env"] ?? ""
        #expect(env.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"))
        #expect(env.contains("HOSTNAME=\(bundle.id.prefix(12))"))
        let defaultMask = try Runc.mask(OptionCases.defaultCaps)
        #expect(facts["CapBnd"] == defaultMask)
        #expect(facts["CapEff"] == defaultMask)
        #expect(facts["CapPrm"] == defaultMask)
        #expect(facts["CapInh"] == "0000000000000000")
        #expect(facts["CapAmb"] == "0000000000000000")
        #expect(facts["Seccomp"] == "2")
        #expect(facts["NoNewPrivs"] == "0")
        #expect(facts["interrupts"] == "0", "/proc/interrupts must be masked")
        #expect(facts["procsys"]?.split(separator: ",").contains("ro") == true)
        #expect(facts["rootfs"] == "writable")
        #expect(facts["nofile"] == "1024")
    }

    @Test("user, supplementary groups, cwd, env and hostname")
    func userAndProcess() throws {
        let facts = try facts {
            $0.user = "berth"
            $0.workdir = "/tmp"
            $0.env = ["FOO=bar baz", "HOSTNAME"]
            $0.hostname = "berth-host"
        }
        #expect(facts["uid"] == "1000")
        #expect(facts["gid"] == "1000")
        #expect(facts["groups"]?.split(separator: " ").sorted() == ["1000", "50"])
        #expect(facts["cwd"] == "/tmp")
        #expect(facts["hostname"] == "berth-host")
        #expect(facts["env"]?.contains("FOO=bar baz") == true)
        #expect(facts["env"]?.contains("HOSTNAME=") == false)
        // A non-root user keeps the bounding set but no effective capabilities.
        #expect(facts["CapBnd"] == (try Runc.mask(OptionCases.defaultCaps)))
        #expect(facts["CapEff"] == "0000000000000000")
    }

    @Test("an explicit uid:group")
    func explicitGroup() throws {
        let facts = try facts { $0.user = "1000:staff" }
        #expect(facts["uid"] == "1000")
        #expect(facts["gid"] == "50")
        #expect(facts["groups"] == "50")
    }

    @Test("cap-drop and cap-add change the capability sets")
    func capabilities() throws {
        let bundle = try RuncBundle(
            script: factsScript
                + "\ntouch /tmp/f; if chown 1000 /tmp/f 2>/dev/null; then echo chown=ok; else echo chown=denied; fi"
        ) {
            $0.capDrop = ["CHOWN", "NET_RAW"]
            $0.capAdd = ["NET_ADMIN", "SYS_TIME"]
        }
        defer { bundle.remove() }
        let facts = try bundle.facts()
        #expect(facts["exit"] == "0", "\(facts["stderr"] ?? "")")
        let expected =
            OptionCases.defaultCaps.filter { $0 != "CAP_CHOWN" && $0 != "CAP_NET_RAW" }
            + ["CAP_NET_ADMIN", "CAP_SYS_TIME"]
        #expect(facts["CapEff"] == (try Runc.mask(expected)))
        #expect(facts["CapBnd"] == (try Runc.mask(expected)))
        #expect(facts["chown"] == "denied")
    }

    @Test("read-only rootfs with a writable tmpfs")
    func readOnly() throws {
        let bundle = try RuncBundle(
            script: factsScript + "\nif touch /tmp/ok 2>/dev/null; then echo tmp=writable; else echo tmp=read-only; fi"
        ) {
            $0.readOnlyRootfs = true
            $0.mounts = [MountRequest(kind: .tmpfs, destination: "/tmp")]
        }
        defer { bundle.remove() }
        let facts = try bundle.facts()
        #expect(facts["exit"] == "0", "\(facts["stderr"] ?? "")")
        #expect(facts["rootfs"] == "read-only")
        #expect(facts["tmp"] == "writable")
    }

    @Test("the pids limit reaches the cgroup")
    func pidsLimit() throws {
        let facts = try facts { $0.pidsLimit = 42 }
        #expect(facts["pidsmax"] == "42")
    }

    @Test("an rlimit below the hard limit")
    func rlimit() throws {
        let facts = try facts { $0.rlimits = [Spec.POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 512)] }
        #expect(facts["nofile"] == "512")
    }

    @Test("image volumes and named volumes are directories under the volumes root")
    func volumes() throws {
        var image = Fixtures.busybox
        image.config?.volumes = ["/data"]
        let bundle = try RuncBundle(script: "echo one > /data/f && echo two > /cache/g", image: image) {
            $0.mounts = [MountRequest(kind: .volume(name: "cache"), destination: "/cache")]
        }
        defer { bundle.remove() }
        let result = try bundle.run()
        #expect(result.status == 0, "\(result.stderr)")
        let volumes = bundle.directory.path + "/volumes"
        let anonymous = try String(contentsOfFile: volumes + "/\(bundle.id)-anon0/_data/f", encoding: .utf8)
        #expect(anonymous == "one\n")
        #expect(try String(contentsOfFile: volumes + "/cache/_data/g", encoding: .utf8) == "two\n")
    }

    @Test("no-new-privileges")
    func noNewPrivileges() throws {
        let facts = try facts { $0.noNewPrivileges = true }
        #expect(facts["NoNewPrivs"] == "1")
    }

    @Test("privileged: the host's bounding set, no seccomp, nothing masked")
    func privileged() throws {
        let facts = try facts { $0.privileged = true }
        #expect(facts["CapBnd"] == (try Runc.hostBoundingMask()))
        #expect(facts["CapEff"] == (try Runc.hostBoundingMask()))
        #expect(facts["Seccomp"] == "0")
        #expect(facts["interrupts"] != "0")
    }
}
