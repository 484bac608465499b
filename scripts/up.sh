#!/usr/bin/env bash
# npm run up [-- --stack dev|prod] [other `pulumi up` flags]
#
# On a fresh machine: installs the npm packages, the engine, the real node's packages and the
# stand-in images (each cached, see scripts/setup.sh), starts the local Kubernetes cluster with one
# real node unless KUBECONFIG names a cluster, and deploys the stack (dev by default) with the local
# file backend and the policy pack, the post-deploy health gate on.
#
# Against the local cluster the stack runs from a scratch copy of its configuration
# (scripts/engine/local-project.sh) whose image keys point at the stand-in images built here (no
# registry is reachable): the tracked stack files are never changed. PLATFORM_CLUSTER_NODE=kwok
# deploys to KWOK's fake nodes instead (fast, nothing runs), with the health gate off since no
# container answers there. Against a real cluster (KUBECONFIG set, naming another cluster than the
# local one) the repository's stack configuration is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
# shellcheck source=nodejs/env.sh
source scripts/nodejs/env.sh

stack=dev
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    -s|--stack) stack=$2; shift 2 ;;
    --stack=*) stack=${1#--stack=}; shift ;;
    *) pass+=("$1"); shift ;;
  esac
done
export PLATFORM_CLUSTER_NODE=${PLATFORM_CLUSTER_NODE:-real}
case "$PLATFORM_CLUSTER_NODE" in kwok | real) ;; *) echo "PLATFORM_CLUSTER_NODE must be kwok or real" >&2; exit 2 ;; esac

step() { printf '\n== %s\n' "$*"; }

# The local cluster's own kubeconfig (as the "Look at it with" lines below export it) is the local
# path, not a real cluster: that one must not get the registry images and the shared file backend.
if [ -n "${KUBECONFIG:-}" ] && [ "$KUBECONFIG" != "${PLATFORM_CLUSTER_DIR:-/tmp/platform-cluster}/kubeconfig" ]; then
  bash scripts/setup.sh npm engine
  # shellcheck source=engine/env.sh
  source scripts/engine/env.sh
  step "deploying stack $stack to the cluster in KUBECONFIG=$KUBECONFIG"
  pulumi stack select --create "$stack"
  exec pulumi up --stack "$stack" ${pass[@]+"${pass[@]}"}
fi

if [ "$PLATFORM_CLUSTER_NODE" = real ]; then bash scripts/setup.sh npm node engine images; else bash scripts/setup.sh npm engine; fi
# shellcheck source=engine/env.sh
source scripts/engine/env.sh
# shellcheck source=engine/local-project.sh
source scripts/engine/local-project.sh
step "local cluster ($PLATFORM_CLUSTER_NODE node)"
use_local_cluster
work=$PLATFORM_ENGINE_CACHE/local-project
if [ "$PLATFORM_CLUSTER_NODE" = real ]; then
  mapfile -t images < <(stand_in_images)
  local_project "$work" "$stack" "${images[@]}"
  echo "stand-in images (README, Images for the local real node):"
  printf '  %s\n' "${images[@]}"
else
  local_project "$work" "$stack" health.enabled=false
  cat <<EOF

  NOTE: platform:health.enabled=false for this deploy to KWOK's fake nodes: pods report Ready but no
  container runs, so the post-deploy health checks have nothing to reach. Without
  PLATFORM_CLUSTER_NODE=kwok the platform runs on the real node with the health gate on.

EOF
fi
step "deploying stack $stack to the local cluster (KUBECONFIG=$KUBECONFIG)"
cd "$work"
pulumi stack select --create "$stack" >/dev/null
pulumi up --stack "$stack" --yes --policy-pack "$REPO/policies" ${pass[@]+"${pass[@]}"}
cat <<EOF

Deployed. Look at it with:
  source scripts/engine/env.sh
  export KUBECONFIG=$KUBECONFIG PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL
  kubectl get pods -n \$(pulumi -C $work stack output --stack $stack namespace 2>/dev/null || echo platform-$stack)
  npm run verify -- --stack $stack --cwd $work
Stop the cluster with: bash scripts/engine/cluster.sh stop
EOF
