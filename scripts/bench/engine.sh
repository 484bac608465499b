#!/usr/bin/env bash
# Benchmark (not a test) of the real engine on the local cluster, for one stack (prod by default):
#   bash scripts/bench/engine.sh [stack] [repeats]
# Prints wall times of: the first `pulumi up` from empty; `pulumi preview` of the deployed stack,
# without and with the policy pack; a server-side dry-run apply (`kubectl apply --server-side
# --dry-run=server`) of the same objects, read back from the cluster; and a no-op `pulumi up`, with
# its preview (the goal's measure) and, for comparison only, with --skip-preview.
# Steady-state figures are the median of `repeats` runs (3 by default), taken in turns. Then the
# ratios of the speed goals, where the time of each pulumi command goes (every Node.js process pulumi
# starts preloads phases.js, which records its node start, module loading, TypeScript compilation and
# construction, and the gRPC calls it makes or serves), the engine's calls to the provider and the
# pack (from its verbose log of one more preview of each kind), and the slowest steps of the first up
# (from pulumi's event log); engine-report.ts prints it all.
# It uses a cluster, backend and scratch project of its own, and removes them at the end. The health
# gate is off (KWOK).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
stack=${1:-prod}
repeats=${2:-3}
# shellcheck source=../engine/env.sh
source "$REPO/scripts/engine/env.sh"
# shellcheck source=../engine/local-project.sh
source "$REPO/scripts/engine/local-project.sh"

work=$(mktemp -d /tmp/platform-bench-XXXXXX)
export PLATFORM_CLUSTER_DIR=$work/cluster PLATFORM_API_PORT=28443 PLATFORM_ETCD_PORT=25790
export PULUMI_BACKEND_URL=file://$work/state PULUMI_CONFIG_PASSPHRASE=bench-local-passphrase
# `--event-log` (the first up's slowest steps) exists only with Pulumi's debug commands switched on.
export PULUMI_DEBUG_COMMANDS=true
mkdir -p "$work/state"
cleanup() {
  (cd "$work/project" 2>/dev/null && pulumi destroy --stack "$stack" --yes --skip-preview --non-interactive >/dev/null 2>&1) || true
  bash "$REPO/scripts/engine/cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$REPO/scripts/engine/cluster.sh" start >/dev/null
KUBECONFIG=$PLATFORM_CLUSTER_DIR/kubeconfig
export KUBECONFIG
local_project "$work/project" "$stack" health.enabled=false
cd "$work/project"
pulumi stack select --create "$stack" >/dev/null
namespace=$(node -e 'const Y=require(require.resolve("yaml",{paths:[process.argv[1]]}));const c=Y.parse(require("fs").readFileSync(process.argv[2],"utf8")).config;console.log(c["platform:namespace"])' "$REPO" "Pulumi.$stack.yaml")

# timed MEASURE CMD...: run CMD quietly (output in $work/MEASURE.log), append its start and end to
# $work/MEASURE.walls and the phases of its Node.js processes to $work/MEASURE.phases; fail loudly.
timed() {
  local measure=$1; shift
  local t0 log=$work/$measure.log
  t0=$(date +%s.%N)
  if ! NODE_OPTIONS="--require $REPO/scripts/bench/phases.js" PLATFORM_BENCH_PHASES="$work/$measure.phases" "$@" > "$log" 2>&1; then
    echo "failed: $*" >&2; tail -40 "$log" >&2; exit 1
  fi
  echo "$t0 $(date +%s.%N)" >> "$work/$measure.walls"
}

# The objects the stack created, read back and stripped of what the server owns, for kubectl.
manifests() {
  kubectl get configmaps,secrets,services,serviceaccounts,deployments.apps,statefulsets.apps,cronjobs.batch,jobs.batch,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,networkpolicies.networking.k8s.io,ingresses.networking.k8s.io,resourcequotas,limitranges,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io \
    -n "$namespace" -o json |
    jq '.items |= map(select(.metadata.name != "kube-root-ca.crt" and .metadata.name != "default")
      | del(.status, .metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields,
            .metadata.generation, .metadata.ownerReferences, .spec.clusterIP, .spec.clusterIPs,
            .spec.template.metadata.creationTimestamp))'
}

echo "engine benchmark: stack $stack, $repeats runs per steady-state figure, $(nproc) cores"
timed preview-empty pulumi preview --stack "$stack" --non-interactive
timed first-up pulumi up --stack "$stack" --yes --skip-preview --non-interactive --event-log "$work/first-up.events"
objects=$(manifests | jq '.items | length')
manifests > "$work/objects.json"
# The steady-state measures take turns, one run of each per round, so that a burst of load on the
# machine falls on all of them alike rather than on the ratios.
for ((i = 0; i < repeats; i++)); do
  timed preview pulumi preview --stack "$stack" --non-interactive
  timed preview-policy pulumi preview --stack "$stack" --non-interactive --policy-pack "$REPO/policies"
  timed dry-run kubectl apply --server-side --force-conflicts --dry-run=server -f "$work/objects.json"
  timed noop-up pulumi up --stack "$stack" --yes --non-interactive
  # For the trade-off only (docs/engine.md): the update without its preview runs the program once.
  timed noop-up-skip-preview pulumi up --stack "$stack" --yes --skip-preview --non-interactive
done
# The engine's own log of one preview with and one without the pack (not timed: logging slows them):
# how many calls it makes to the provider and the pack per resource, and how long they take.
pulumi preview --stack "$stack" --non-interactive --logtostderr -v=9 > /dev/null 2> "$work/preview.engine-log"
pulumi preview --stack "$stack" --non-interactive --policy-pack "$REPO/policies" --logtostderr -v=9 > /dev/null 2> "$work/preview-policy.engine-log"
resources=$(pulumi stack export --stack "$stack" | jq '.deployment.resources | length')
(cd "$REPO" && node -r ts-node/register/transpile-only scripts/bench/engine-report.ts "$work" "$stack" "$resources" "$objects")
