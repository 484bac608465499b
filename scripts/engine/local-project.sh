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
# state from an earlier one would claim objects that are not there.
use_local_cluster() {
  local cluster
  cluster="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cluster.sh"
  if bash "$cluster" status >/dev/null 2>&1; then echo "local cluster already running"; else bash "$cluster" start; fi
  KUBECONFIG=$(bash "$cluster" kubeconfig)
  export KUBECONFIG
  export PULUMI_BACKEND_URL="file://$(dirname "$KUBECONFIG")/pulumi-state"
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
}
