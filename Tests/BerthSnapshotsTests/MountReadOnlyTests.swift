import BerthSnapshots
import Testing

/// `Mount.readOnly`: the forms Diff mounts both sides with.
@Suite("Read-only mounts")
struct MountReadOnlyTests {
    @Test("an active overlay's upper dir becomes its top lower dir")
    func activeOverlay() {
        let mount = Mount(
            type: "overlay", source: "overlay",
            options: ["index=off", "workdir=/s/2/work", "upperdir=/s/2/fs", "lowerdir=/s/1/fs:/s/0/fs"])
        #expect(
            mount.readOnly
                == Mount(
                    type: "overlay", source: "overlay", options: ["index=off", "lowerdir=/s/2/fs:/s/1/fs:/s/0/fs"]))
    }

    @Test("an overlay over one directory becomes a read-only bind")
    func singleLower() {
        let mount = Mount(
            type: "overlay", source: "overlay", options: ["workdir=/s/1/work", "upperdir=/s/1/fs", "volatile"])
        #expect(mount.readOnly == Mount(type: "bind", source: "/s/1/fs", options: ["ro", "rbind"]))
    }

    @Test("binds get ro, views stay as they are")
    func bindAndView() {
        #expect(
            Mount(type: "bind", source: "/s/1/fs", options: ["rw", "rbind"]).readOnly
                == Mount(type: "bind", source: "/s/1/fs", options: ["rbind", "ro"]))
        let view = Mount(type: "overlay", source: "overlay", options: ["lowerdir=/s/2/fs:/s/1/fs"])
        #expect(view.readOnly == view)
    }
}
