#!/usr/bin/env bash
# Regenerates the Swift code for Berth's .proto files.
#
# The protoc plugins are built from hack/protoc-tools, a separate package the
# root manifest does not depend on, so a normal `swift build` never compiles
# them (and never compiles swift-protobuf's vendored protoc either: Berth does
# not use the SwiftPM protoc build plugins). protoc itself is Debian's
# protobuf-compiler (3.21). The generated Swift is committed.
#
# Each module keeps its protos in Sources/<Module>/protos/ (excluded from the
# target) and its generated code in Sources/<Module>/Generated/, which this
# script replaces wholesale. Import paths are relative to the protos folder;
# google/protobuf/*.proto come from protoc's include directory and map onto
# SwiftProtobuf's well-known types.
#
# Usage: hack/gen-proto.sh            (from anywhere inside the checkout)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scratch=.build-protoc
tools=hack/protoc-tools
protoc=${PROTOC:-protoc}
include=${PROTOC_INCLUDE:-/usr/include}

command -v "$protoc" >/dev/null || { echo "gen-proto: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
[ -f "$include/google/protobuf/any.proto" ] || { echo "gen-proto: no well-known protos under $include" >&2; exit 1; }

# Modules whose protos are plain messages (services there are served over
# ttrpc, which has no Swift generator: their method tables are hand-written).
swift_modules=(BerthTTRPC BerthShimProto)
# Modules whose services are gRPC (berthd's API); they also get
# protoc-gen-grpc-swift-2 output. Empty until the daemon's protos land.
grpc_modules=()

build_plugin() {
    swift build -c release --package-path "$tools" --scratch-path "$scratch" --product "$1" >&2
    echo "$root/$scratch/release/$1"
}

swift_plugin=$(build_plugin protoc-gen-swift)
grpc_plugin=
if [ ${#grpc_modules[@]} -gt 0 ]; then
    grpc_plugin=$(build_plugin protoc-gen-grpc-swift-2)
fi

generate() {
    local module=$1 with_grpc=$2
    local src="Sources/$module/protos" out="Sources/$module/Generated"
    local -a files
    mapfile -t files < <(cd "$src" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
    [ ${#files[@]} -gt 0 ] || { echo "gen-proto: no protos in $src" >&2; exit 1; }

    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN

    local -a args=(
        -I "$src" -I "$include"
        --plugin=protoc-gen-swift="$swift_plugin"
        --swift_out="$tmp"
        --swift_opt=Visibility=Public,FileNaming=PathToUnderscores
    )
    if [ "$with_grpc" = yes ]; then
        args+=(
            --plugin=protoc-gen-grpc-swift-2="$grpc_plugin"
            --grpc-swift-2_out="$tmp"
            --grpc-swift-2_opt=Visibility=Public,FileNaming=PathToUnderscores,Client=true,Server=true
        )
    fi
    (cd "$root" && "$protoc" "${args[@]}" "${files[@]/#/$src/}")

    rm -rf "$out"
    mkdir -p "$out"
    cp "$tmp"/*.swift "$out"/
    echo "gen-proto: $module: ${#files[@]} protos -> $(ls "$out" | wc -l) files in $out"
}

for m in "${swift_modules[@]}"; do generate "$m" no; done
for m in "${grpc_modules[@]+"${grpc_modules[@]}"}"; do generate "$m" yes; done
