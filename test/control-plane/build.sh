#!/usr/bin/env bash
# Build plinth-cp (etcd + kube-apiserver + kube-controller-manager +
# kube-scheduler + kwok + kubectl in one busybox-style binary) from Go modules.
#
#   test/control-plane/build.sh [OUT_DIR]
#
# OUT_DIR defaults to ${PLINTH_CACHE:-$HOME/.cache/plinth}/control-plane/<hash>,
# where <hash> covers go.mod, go.sum, *.go, *.yaml and this script. The build is
# skipped when OUT_DIR already holds a binary built from that exact hash.
# Progress goes to stderr; the last line on stdout is the binary's path.
#
# Needs only Go (>= the go line in go.mod; GOTOOLCHAIN=local) and the Go
# module proxy. go.sum is complete, so no checksum-database lookups happen.
# GOCACHE / GOMODCACHE are Go's defaults unless set: keep them between CI
# runs to turn a cold build (~minutes) into a relink.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"

hash=$(cat go.mod go.sum $(LC_ALL=C ls *.go *.yaml) build.sh | sha256sum | cut -c1-16)
cache_root=${PLINTH_CACHE:-$HOME/.cache/plinth}/control-plane
out=${1:-$cache_root/$hash}
bin=$out/plinth-cp
stamp=$out/plinth-cp.hash

up_to_date() { [[ -x $bin && -f $stamp && $(cat "$stamp") == "$hash" ]]; }
if up_to_date; then
  echo "build.sh: up to date ($hash)" >&2
  echo "$bin"
  exit 0
fi
mkdir -p "$out"
# One build per OUT_DIR at a time (parallel test workers, CI steps).
if command -v flock >/dev/null; then
  exec 9>"$out/.lock"
  flock 9
  if up_to_date; then
    echo "build.sh: up to date ($hash, built by a concurrent run)" >&2
    echo "$bin"
    exit 0
  fi
fi

# k8s.io/kubernetes version from go.mod -> version stamps, as hack/lib/version.sh does.
kver=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' go.mod)
[[ $kver =~ ^v([0-9]+)\.([0-9]+)\. ]] || { echo "build.sh: cannot read k8s.io/kubernetes version from go.mod" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
ldflags="-s -w -X main.version=$kver+plinth.$hash"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$kver -X $p.gitMajor=$major -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

tmp=$(mktemp "$out/.plinth-cp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
echo "build.sh: $(go version), k8s $kver, hash $hash -> $bin" >&2
start=$SECONDS
go mod download >&2
echo "build.sh: modules ready after $((SECONDS - start))s" >&2
go build -trimpath -ldflags "$ldflags" -o "$tmp" .
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
echo "$hash" > "$stamp"
echo "build.sh: built in $((SECONDS - start))s, $(du -h "$bin" | cut -f1)" >&2
# Default cache: keep the 3 most recent builds (133 MB each).
if [[ -z ${1:-} ]]; then
  ls -1dt "$cache_root"/*/ 2>/dev/null | tail -n +4 | while read -r old; do
    [[ ${old%/} != "$out" ]] && rm -rf "$old"
  done
fi
echo "$bin"
