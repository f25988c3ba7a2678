#!/usr/bin/env bash
# Installs every Debian package the project uses. Idempotent: packages that
# are already installed are skipped, and apt is not touched when none is missing.
set -euo pipefail

packages=(
    # build: C libraries wrapped by one Swift module each, and pkg-config
    pkg-config libcap-dev libseccomp-dev libbpf-dev
    libarchive-dev zlib1g-dev libzstd-dev libsqlite3-dev
    protobuf-compiler
    # executors
    runc crun runsc
    # peers for tests and benchmarks
    containerd docker-registry openssl
    # image tooling for test fixtures
    busybox-static skopeo umoci
    # reference material: containerd protos, runtime-spec JSON schema
    golang-github-containerd-containerd-dev golang-github-opencontainers-specs-dev
    # schema validation in tests, JSON in scripts
    python3 python3-jsonschema jq
    # benchmarks
    hyperfine bc
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing ${missing[*]}; run as root (or sudo make deps)" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
