#!/usr/bin/env bash
# npm run up [-- --stack dev|prod] [other `pulumi up` flags]
#
# On a fresh machine: installs the npm packages and the engine (cached, see scripts/engine/install.sh),
# starts the local Kubernetes cluster on loopback unless KUBECONFIG names a cluster, and deploys the
# stack (dev by default) with the local file backend.
#
# Against the local cluster the stack runs from a scratch copy of its configuration
# (scripts/engine/local-project.sh) with the post-deploy health gate turned off: KWOK simulates
# kubelets, so pods report Ready but no container runs and there is nothing to health-check. Against a
# real cluster (KUBECONFIG set) the repository's stack configuration is used as it is, health gate
# included.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

stack=dev
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    -s|--stack) stack=$2; shift 2 ;;
    --stack=*) stack=${1#--stack=}; shift ;;
    *) pass+=("$1"); shift ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }

bash scripts/setup.sh npm engine
# shellcheck source=engine/env.sh
source scripts/engine/env.sh

if [ -n "${KUBECONFIG:-}" ]; then
  step "deploying stack $stack to the cluster in KUBECONFIG=$KUBECONFIG"
  pulumi stack select --create "$stack"
  exec pulumi up --stack "$stack" ${pass[@]+"${pass[@]}"}
fi

# shellcheck source=engine/local-project.sh
source scripts/engine/local-project.sh
step "local cluster"
use_local_cluster
work=$PLATFORM_ENGINE_CACHE/local-project
local_project "$work" "$stack" health.enabled=false
cat <<EOF

  NOTE: platform:health.enabled=false for this local deploy. KWOK plays the kubelets: pods report
  Ready but no container runs, so the post-deploy health checks have nothing to reach. Deploy to a
  real cluster (KUBECONFIG=... npm run up) to run the health gate.

EOF
step "deploying stack $stack to the local cluster (KUBECONFIG=$KUBECONFIG)"
cd "$work"
pulumi stack select --create "$stack" >/dev/null
pulumi up --stack "$stack" --yes --policy-pack "$REPO/policies" ${pass[@]+"${pass[@]}"}
cat <<EOF

Deployed. Look at it with:
  export KUBECONFIG=$KUBECONFIG
  kubectl get pods -n \$(pulumi -C $work stack output --stack $stack namespace 2>/dev/null || echo platform-$stack)
Stop the cluster with: bash scripts/engine/cluster.sh stop
EOF
