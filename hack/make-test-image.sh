#!/usr/bin/env bash
# Builds the Berth test image offline from Debian's busybox-static:
#   OUT/busybox/          an OCI image layout (oci-layout, index.json, blobs/)
#   OUT/busybox.oci.tar   the same layout as an OCI archive
#   OUT/busybox.rootfs/   the unpacked root filesystem (handy for bundles)
#
# The result is reproducible: fixed mtimes, sorted entries, numeric owners.
# The rootfs has /etc/passwd and /etc/group with root, a uid-1000 user
# ("berth") and a group ("staff", gid 50) that the user is a member of.
#
# Usage: hack/make-test-image.sh [OUT]    (default: ./out/image)
set -euo pipefail

out=${1:-out/image}
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
name=${IMAGE_NAME:-localhost/berth/busybox:latest}

if [ ! -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
    echo "make-test-image: $busybox is not a busybox binary (apt-get install busybox-static)" >&2
    exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
    echo "make-test-image: $busybox is dynamically linked; busybox-static is required" >&2
    exit 1
fi

case "$(uname -m)" in
    x86_64) arch=amd64 variant= ;;
    aarch64) arch=arm64 variant=v8 ;;
    armv7l) arch=arm variant=v7 ;;
    *) arch=$(uname -m) variant= ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- root filesystem --------------------------------------------------------
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,dev,proc,sys,tmp,root,home/berth,var/log,usr/bin,usr/sbin,sbin}
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
berth:x:1000:1000:Berth test user:/home/berth:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
staff:x:50:berth
berth:x:1000:
nogroup:x:65534:
GROUP
echo "berth-test" > "$root/etc/hostname"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
touch "$root/etc/hosts" "$root/etc/resolv.conf"
chown -R 1000:1000 "$root/home/berth"

# --- layer --------------------------------------------------------------------
tar_opts=(--sort=name --mtime="@$epoch" --numeric-owner --format=posix
          --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
(cd "$root" && tar "${tar_opts[@]}" -cf "$work/layer.tar" .)
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$work/layer.tar" > "$work/layer.tar.gz"
layer_digest=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")

created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
variant_json=
[ -n "$variant" ] && variant_json=",\"variant\":\"$variant\""

# --- config, manifest, index ------------------------------------------------
printf '%s' "{\"created\":\"$created\",\"architecture\":\"$arch\"$variant_json,\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\",\"Labels\":{\"org.opencontainers.image.title\":\"berth-busybox\"},\"StopSignal\":\"SIGTERM\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\"history\":[{\"created\":\"$created\",\"created_by\":\"hack/make-test-image.sh\"}]}" > "$work/config.json"
config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")

printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_digest\",\"size\":$config_size},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer_digest\",\"size\":$layer_size}]}" > "$work/manifest.json"
manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")

layout="$out/busybox"
rm -rf "$layout" "$out/busybox.rootfs"
mkdir -p "$layout/blobs/sha256"
cp "$work/layer.tar.gz" "$layout/blobs/sha256/$layer_digest"
cp "$work/config.json" "$layout/blobs/sha256/$config_digest"
cp "$work/manifest.json" "$layout/blobs/sha256/$manifest_digest"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_digest\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"$variant_json},\"annotations\":{\"io.containerd.image.name\":\"$name\",\"org.opencontainers.image.ref.name\":\"${name##*:}\"}}]}" > "$layout/index.json"
find "$layout" -exec touch -h -d "@$epoch" {} +

(cd "$layout" && tar --sort=name --mtime="@$epoch" --numeric-owner --owner=0 --group=0 -cf "$out/busybox.oci.tar" oci-layout index.json blobs)

# The unpacked rootfs, for tests and the demo that need a plain directory.
mv "$root" "$out/busybox.rootfs"

echo "image:    $layout"
echo "archive:  $out/busybox.oci.tar"
echo "rootfs:   $out/busybox.rootfs"
echo "manifest: sha256:$manifest_digest"
