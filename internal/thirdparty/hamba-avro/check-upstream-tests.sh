#!/usr/bin/env bash
# Runs hamba/avro v2.31.0's own test suite over the patched copy in this
# directory, so a patch cannot silently break the library.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOFLAGS="${GOFLAGS:--buildvcs=false}"
upstream=$(cd /tmp && go mod download -json github.com/hamba/avro/v2@v2.31.0 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$upstream"/. "$work"/
chmod -R u+w "$work"
cp "$here"/*.go "$here"/*.s "$work"/
cp "$here"/pkg/crc64/*.go "$work"/pkg/crc64/
cd "$work"
go test -count=1 . ./pkg/...
