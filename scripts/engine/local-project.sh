# Sourced by scripts/up.sh, scripts/engine/preview.sh and the end-to-end tests' helpers: a scratch
# Pulumi project for the local cluster, and the local cluster itself. The project's Pulumi.yaml is the
# repository's with `main:` pointing back at the checkout, and its
# Pulumi.<stack>.yaml is a copy of the repository's with the local overrides, so stack init (which
# writes the passphrase salt) and the overrides never touch the tracked stack files.
#
# local_project DIR STACK [key=value...]: write the scratch project into DIR. Values are YAML, set by
# dotted path under the `platform:` namespace, e.g. health.enabled=false.
local_project() {
  local dir=$1 stack=$2 repo
  shift 2
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$dir"
  node - "$repo" "$dir" "$stack" "$@" <<'EOF'
const fs = require("fs");
const path = require("path");
const [repo, dir, stack, ...sets] = process.argv.slice(2);
const YAML = require(require.resolve("yaml", { paths: [repo] }));
const project = YAML.parse(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8"));
// Relative: pulumi joins `main` onto the project directory.
project.main = path.relative(dir, repo) || ".";
fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML.stringify(project));
const target = path.join(dir, `Pulumi.${stack}.yaml`);
// Keep the salt of a stack that already exists in the scratch directory.
const previous = fs.existsSync(target) ? YAML.parse(fs.readFileSync(target, "utf8")) ?? {} : {};
const config = YAML.parse(fs.readFileSync(path.join(repo, `Pulumi.${stack}.yaml`), "utf8"));
for (const s of sets) {
  const i = s.indexOf("=");
  const [top, ...rest] = s.slice(0, i).split(".");
  const key = `platform:${top}`;
  if (rest.length === 0) { config.config[key] = YAML.parse(s.slice(i + 1)); continue; }
  let node = (config.config[key] ??= {});
  for (const p of rest.slice(0, -1)) node = node[p] ??= {};
  node[rest[rest.length - 1]] = YAML.parse(s.slice(i + 1));
}
if (previous.encryptionsalt) config.encryptionsalt = previous.encryptionsalt;
fs.writeFileSync(target, YAML.stringify(config));
EOF
}

# use_local_cluster: start the local cluster unless it runs, and point KUBECONFIG and the Pulumi
# backend at it. Its stack state lives and dies with the cluster: a new cluster starts empty, so
# state from an earlier one would claim objects that are not there. PLATFORM_CLUSTER_NODE (kwok or
# real) picks the kind of node to start; when it is set, a running cluster of the other kind is not
# reused; unset, whatever runs is.
use_local_cluster() {
  local cluster dir running_mode
  cluster="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cluster.sh"
  dir=${PLATFORM_CLUSTER_DIR:-/tmp/platform-cluster}
  running_mode=$(cat "$dir/mode" 2>/dev/null || echo kwok)
  if PLATFORM_CLUSTER_NODE=$running_mode bash "$cluster" status >/dev/null 2>&1; then
    if [ "$running_mode" != "${PLATFORM_CLUSTER_NODE:-$running_mode}" ]; then
      echo "the local cluster in $dir runs with a $running_mode node, not $PLATFORM_CLUSTER_NODE: stop it first (bash $cluster stop)" >&2
      return 1
    fi
    echo "local cluster already running"
    # Images built since it started (a changed reference service, say).
    if [ "$running_mode" = real ]; then bash "$cluster" images; fi
  else
    bash "$cluster" start
  fi
  KUBECONFIG=$(bash "$cluster" kubeconfig)
  export KUBECONFIG
  export PULUMI_BACKEND_URL="file://$(dirname "$KUBECONFIG")/pulumi-state"
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
}

# stand_in_images: the local_project settings (path=reference) that point every image key at the
# stand-in images built by scripts/images/build.sh, for a stack on the real node.
stand_in_images() {
  bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/../images" && pwd)/overlay.sh" --paths | sed 's/^platform://; s/\t/=/'
}
