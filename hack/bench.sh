#!/usr/bin/env bash
# Container lifecycle benchmarks, side by side with Debian's containerd 1.6 in
# the same run. Prints medians and ratios; `BENCH_RUNS` sets the repetitions.
#
# What is measured (busybox test image, runc as executor, `true` as command):
#   containerd   ctr run --rm against a private containerd 1.6
#   berth-path   what Berth has today: berth spec (bundle generator) + runc run
#   runc         raw runc run of a prepared bundle: the floor
#
# Usage: hack/bench.sh BIN_DIR IMAGE_OUT_DIR
set -euo pipefail

bin=$(cd "${1:?usage: bench.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
image_out=$(cd "${2:?usage: bench.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
runs=${BENCH_RUNS:-30}
hack=$(cd "$(dirname "$0")" && pwd)
runc=$(command -v runc || echo /usr/sbin/runc)
image=localhost/berth/busybox:latest

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
    "$hack/containerd-private.sh" stop "$work/containerd" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$("$hack/containerd-private.sh" start "$work/containerd")"
ctr --address "$CONTAINERD_ADDRESS" images import --base-name localhost/berth/busybox \
    "$image_out/busybox.oci.tar" >/dev/null

bundle="$work/bundle"
mkdir -p "$bundle"
cp -a "$image_out/busybox.rootfs" "$bundle/rootfs"
"$bin/berth" spec --image "$image_out/busybox" --id bench --bundle "$bundle" -- true

export CONTAINERD_ADDRESS bin bundle runc work image
hyperfine --style basic --runs "$runs" --warmup 3 --export-json "$work/results.json" \
    -n containerd "ctr --address \$CONTAINERD_ADDRESS run --rm --runc-root $work/runc-ctr $image bench-ctr true" \
    -n berth-path "$bin/berth spec --image $image_out/busybox --id bench --bundle $bundle -- true && $runc --root $work/runc-berth run --bundle $bundle bench-berth" \
    -n runc "$runc --root $work/runc-raw run --bundle $bundle bench-runc" \
    >"$work/hyperfine.log"

echo
echo "Container lifecycle, busybox 'true', runc; $runs runs each; $(date -u +%Y-%m-%d); $(nproc) cores, $(uname -r)"
jq -r '
  (.results[] | select(.command == "containerd") | .median) as $base
  | ["case", "median ms", "vs containerd"],
    (.results[] | [.command, ((.median * 1000 * 10 | round) / 10 | tostring), (((.median / $base) * 100 | round) / 100 | tostring) + "x"])
  | @tsv' "$work/results.json" | column -t -s $'\t'
