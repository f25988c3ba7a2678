#!/usr/bin/env bash
# The pull benchmark of the images issue: builds a ~190 MB three-layer image
# (6,000 small files, 150 MB of random data, compressible text, a whiteout),
# pushes it to a loopback docker-registry, then pulls and unpacks it cold with
# Berth (download streamed into the overlayfs unpack) and with Debian's
# containerd 1.6 (`ctr images pull --plain-http` against a private instance),
# side by side, RUNS times each, and prints medians and the ratio.
#
# Usage: hack/bench-pull.sh [RUNS]      (root; default 5 runs)
# CONFIG=release builds optimised (with -enable-testing, for the test bundle).
set -euo pipefail

runs=${1:-5}
config=${CONFIG:-debug}
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench-pull: run as root (containerd and overlay snapshots need it)" >&2
    exit 1
fi
flags=(-c "$config")
[ "$config" = release ] && flags+=(-Xswiftc -enable-testing)
swift build "${flags[@]}" --build-tests
BERTH_BENCH=1 BERTH_BENCH_RUNS="$runs" \
    swift test "${flags[@]}" --skip-build --filter 'BerthRegistryTests.PullBenchmark' 2>&1 \
    | grep -E '^(benchmark image|berth pull|containerd 1.6|ratio)|error|failed'
