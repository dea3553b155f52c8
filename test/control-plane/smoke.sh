#!/usr/bin/env bash
# End-to-end smoke test of plinth-cp: build (cached), `up`, exercise the
# cluster with the bundled kubectl, tear down, check nothing is left running.
#   test/control-plane/smoke.sh            (KEEP=1 keeps the state dir)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${PLINTH_CP_BIN:-$("$here/build.sh" | tail -n 1)}  # PLINTH_CP_BIN: test a prebuilt binary
dir=$(mktemp -d "${TMPDIR:-/tmp}/plinth-cp-smoke.XXXXXX")
uppid=

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "--- $*" >&2; }
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }
k() { "$bin" kubectl --kubeconfig "$dir/kubeconfig" "$@"; }

leftovers() { pgrep -f -- "$dir" || true; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n $uppid ]] && kill -0 "$uppid" 2>/dev/null; then
    kill -TERM "$uppid"; wait "$uppid"
  fi
  if [[ -n $(leftovers) ]]; then
    echo "cleanup: killing leftovers: $(leftovers | tr '\n' ' ')" >&2
    pkill -KILL -f -- "$dir"
    rc=1
  fi
  if (( rc != 0 )); then
    for f in "$dir"/*.log; do [[ -f $f ]] && { echo "==== tail $f" >&2; tail -n 25 "$f" >&2; }; done
  fi
  [[ ${KEEP:-} == 1 ]] && echo "kept $dir" >&2 || rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT

step "up --dir $dir"
start=$EPOCHREALTIME
"$bin" up --dir "$dir" >"$dir/up.stdout" 2>"$dir/up.stderr" &
uppid=$!
for _ in $(seq 1 1200); do
  [[ -s $dir/up.stdout ]] && break
  kill -0 "$uppid" 2>/dev/null || { cat "$dir/up.stderr" >&2; fail "up exited before ready"; }
  sleep 0.2
done
[[ -s $dir/up.stdout ]] || fail "up not ready in 240s"
ready=$(head -n 1 "$dir/up.stdout")
echo "ready after $(elapsed "$start")s: $ready" >&2
[[ $ready == *'"kubeconfig":"'"$dir"/kubeconfig'"'* ]] || fail "ready line lacks kubeconfig"
server=$(sed -n 's/.*"server":"\([^"]*\)".*/\1/p' <<<"$ready")
cmp -s "$dir/ready" "$dir/up.stdout" || fail "DIR/ready differs from the stdout line"

step "readyz, version"
[[ $(k get --raw /readyz) == ok ]] || fail "/readyz not ok"
k version
k version -o json | grep -q '"gitVersion": "v1\.' || fail "server version not stamped"

step "nodes"
k get nodes -o wide
k wait --for=condition=Ready node/kwok-node-0 --timeout=60s

step "deployment with 2 replicas -> 2 Running pods (kwok)"
k create deployment web --image=nginx --replicas=2
k rollout status deployment/web --timeout=120s
phases=$(k get pods -l app=web -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | sort | uniq -c | awk '{print $1, $2}')
[[ $phases == "2 Running" ]] || fail "want 2 Running pods, got: $phases"
k get pods -o wide

step "StatefulSet with a PVC template -> PVCs Bound (kwok volume stages), pods Running"
k apply -f - <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
YAML
k rollout status statefulset/db --timeout=120s
bound=$(k get pvc -l app=db -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Bound$' || true)
[[ $bound == 2 ]] || fail "want 2 Bound PVCs, got $bound"
k get pvc,pv

step "ServiceAccount + TokenRequest + RBAC"
k create serviceaccount smoke
token=$(k create token smoke --duration=10m)
[[ $token == ey* ]] || fail "kubectl create token returned no JWT"
sakc=$dir/sa.kubeconfig
k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$dir/ca-from-kubeconfig.crt"
"$bin" kubectl config --kubeconfig "$sakc" set-cluster c --server "$server" --certificate-authority "$dir/ca-from-kubeconfig.crt" --embed-certs >/dev/null
"$bin" kubectl config --kubeconfig "$sakc" set-credentials sa --token "$token" >/dev/null
"$bin" kubectl config --kubeconfig "$sakc" set-context c --cluster c --user sa >/dev/null
"$bin" kubectl config --kubeconfig "$sakc" use-context c >/dev/null
sak() { "$bin" kubectl --kubeconfig "$sakc" "$@"; }
who=$(sak auth whoami -o jsonpath='{.status.userInfo.username}')
[[ $who == system:serviceaccount:default:smoke ]] || fail "token authenticates as '$who'"
if sak auth can-i list secrets -n default; then fail "SA may list secrets"; fi
if out=$(sak get secrets -n default 2>&1); then fail "SA listed secrets: $out"; fi
[[ $out == *Forbidden* ]] || fail "expected Forbidden, got: $out"
echo "denied as expected: $out" >&2
k create rolebinding smoke-view --clusterrole=view --serviceaccount=default:smoke
for _ in $(seq 1 50); do sak auth can-i list pods -n default >/dev/null 2>&1 && break; sleep 0.2; done
sak get pods -n default >/dev/null || fail "SA with view cannot list pods"

step "egress guard: kubelet-bound request is refused without leaving loopback"
if out=$(k logs deployment/web --request-timeout=20s 2>&1); then fail "logs unexpectedly worked: $out"; fi
echo "kubectl logs failed as expected: $out" >&2
grep -q "blocked CONNECT" "$dir/egress.log" || fail "egress guard did not see the kubelet dial"

step "egress guard: a Service-backed admission webhook is refused (fake ClusterIP, never dialed)"
k create namespace hooked
k label namespace hooked smoke-hook=1
k -n hooked create service clusterip hook --tcp=443:8443
k apply -f - <<'YAML'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: smoke-hook}
webhooks:
- name: hook.smoke.plinth.invalid
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig: {service: {name: hook, namespace: hooked, port: 443}}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  namespaceSelector: {matchLabels: {smoke-hook: "1"}}
YAML
ok=
for _ in $(seq 1 50); do
  if out=$(k -n hooked create configmap x --from-literal=a=b 2>&1); then k -n hooked delete configmap x >/dev/null; sleep 0.2; continue; fi
  [[ $out == *"egress guard allows loopback only"* ]] && { ok=1; break; }
  sleep 0.2
done
[[ -n $ok ]] || fail "webhook call was not refused by the egress guard: $out"
echo "webhook refused as expected: $out" >&2
k delete validatingwebhookconfiguration smoke-hook

step "namespace deletion (namespace controller + kwok pod-delete stage)"
k create namespace smoke-ns
for _ in $(seq 1 100); do k -n smoke-ns get sa default >/dev/null 2>&1 && break; sleep 0.2; done
k -n smoke-ns create deployment w --image=nginx --replicas=3
k -n smoke-ns rollout status deployment/w --timeout=120s
k delete namespace smoke-ns --timeout=120s
if k get namespace smoke-ns >/dev/null 2>&1; then fail "namespace smoke-ns still exists"; fi

step "teardown"
pids=$(sed -n 's/.*"pids":{\([^}]*\)}.*/\1/p' <<<"$ready" | tr ',' '\n' | sed 's/.*://')
t0=$EPOCHREALTIME
kill -TERM "$uppid"
rc=0; wait "$uppid" || rc=$?
echo "up exited with $rc after $(elapsed "$t0")s" >&2
uppid=
(( rc == 0 )) || fail "up exit code $rc"
for p in $pids; do kill -0 "$p" 2>/dev/null && fail "child pid $p still running"; done
[[ -z $(leftovers) ]] || fail "processes left: $(leftovers)"
[[ ! -e $dir/ready ]] || fail "DIR/ready not removed on shutdown"
echo "SMOKE OK" >&2
