#!/usr/bin/env bash
# Move the module to another Kubernetes release: ./update-k8s.sh 1.36.3
# Pins every staging module k8s.io/kubernetes' go.mod resolves from
# ./staging to v0.<minor>.<patch>, then tidies (go.mod + go.sum).
set -euo pipefail
V=${1:?usage: $0 K8S_VERSION (e.g. 1.36.3)}
V=${V#v}
cd "$(dirname "${BASH_SOURCE[0]}")"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod
gomod=$(cd "$(mktemp -d)" && go mod download -json "k8s.io/kubernetes@v$V" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
mods=$(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*|\1|p' "$gomod")
[[ -n $mods ]] || { echo "no staging replaces found in $gomod" >&2; exit 1; }
drop=()
for m in $(go mod edit -json | sed -n 's/.*"Path": "\(k8s.io\/[^"]*\)".*/\1/p' | sort -u); do
  drop+=("-dropreplace=$m")
done
(( ${#drop[@]} == 0 )) || go mod edit "${drop[@]}"
# drop the now empty block's comment, then append one replace block
sed -i '/^\/\/ k8s.io\/kubernetes requires its/,/^\/\/ \.\/update-k8s.sh VERSION/d' go.mod
{
  echo
  echo "// k8s.io/kubernetes requires its $(wc -w <<<"$mods") staging modules at v0.0.0 and resolves them with"
  echo "// replace => ./staging/... in its own go.mod, which dependents ignore"
  echo "// (kubernetes/kubernetes#79384). Pin them all to the matching v0.x.y; regenerate with"
  echo "// ./update-k8s.sh VERSION (see README.md)."
  echo "replace ("
  for m in $mods; do printf '\t%s => %s v0.%s\n' "$m" "$m" "${V#1.}"; done
  echo ")"
} >>go.mod
go get "k8s.io/kubernetes@v$V"
go mod tidy
# k8s.io/kubernetes lists the staging modules at v0.0.0; say the real version.
req=()
for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' go.mod); do req+=("-require=$m@v0.${V#1.}"); done
if (( ${#req[@]} )); then go mod edit "${req[@]}"; go mod tidy; fi
echo "now on k8s.io/kubernetes v$V ($(wc -w <<<"$mods") staging modules pinned); run ./smoke.sh" >&2
