#!/usr/bin/env bash
# Regenerates the gogoproto Go code under proto/ with pinned tool versions.
# Called by `make proto`; the output is committed and must not change when rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

GOGOPROTO_VERSION=v1.7.2
PROTOC_WANT="libprotoc 3.21.12"

if ! command -v protoc >/dev/null 2>&1; then
  echo "protoc not found; install Debian's protobuf-compiler (make proto does this)" >&2
  exit 1
fi
if [ "$(protoc --version)" != "$PROTOC_WANT" ]; then
  echo "warning: protoc is '$(protoc --version)', generated code was pinned with '$PROTOC_WANT'" >&2
fi

BIN="$PWD/.bin"
mkdir -p "$BIN"
GOBIN="$BIN" go install "github.com/cosmos/gogoproto/protoc-gen-gocosmos@${GOGOPROTO_VERSION}"
GOGO_DIR="$(go env GOMODCACHE)/github.com/cosmos/gogoproto@${GOGOPROTO_VERSION}"
go mod download "github.com/cosmos/gogoproto@${GOGOPROTO_VERSION}"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# One protoc run per directory and Go package (a directory may hold files of two Go
# packages: the sequencer's wire types and its gRPC services).
for dir in $(find proto -name '*.proto' -exec dirname {} \; | sort -u); do
  for pkg in $(grep -h '^option go_package' "$dir"/*.proto | sort -u | sed 's/.*"\(.*\)".*/\1/'); do
    PATH="$BIN:$PATH" protoc \
      -I proto -I "$GOGO_DIR" -I "$GOGO_DIR/protobuf" \
      --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types:"$OUT" \
      $(grep -l "^option go_package = \"$pkg\"" "$dir"/*.proto)
  done
done
# go_package paths start with the module path; copy them into place.
cp -r "$OUT/github.com/cometsync/cometsync/proto/." proto/
gofmt -w proto
echo "proto: generated $(find proto -name '*.pb.go' | wc -l) files"
