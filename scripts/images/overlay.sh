#!/usr/bin/env bash
# Prints the stack-configuration overlay that points every image key of the stack files at the
# local stand-in images built by build.sh (only those in $CACHE/images.tsv):
#
#   bash scripts/images/overlay.sh           YAML: `config:` with partial objects, to deep-merge over
#                                            a stack's config (never written into Pulumi.<stack>.yaml)
#   bash scripts/images/overlay.sh --paths   one `key.path<TAB>reference` line per key, for
#                                            `pulumi config set --path KEY VALUE`
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${PLATFORM_IMAGES_CACHE:-$HOME/.cache/platform-images}"
[ -f "$CACHE/images.tsv" ] || { echo "overlay.sh: no $CACHE/images.tsv: run scripts/images/build.sh first" >&2; exit 1; }

# key.path <TAB> reference, for each stack key of each built image.
paths() {
  awk -F'\t' 'NR == FNR { ref[$1] = $2; next } !/^#/ && $4 != "" && ($1 in ref) {
    n = split($4, keys, ","); for (i = 1; i <= n; i++) print keys[i] "\t" ref[$1]
  }' "$CACHE/images.tsv" "$HERE/catalog.tsv" | sort
}

if [ "${1:-}" = --paths ]; then paths; exit 0; fi
# Nested keys (platform:services.gateway.image) become nested maps.
paths | node -e '
const YAML = require(require.resolve("yaml", { paths: [process.argv[1]] }));
const config = {};
for (const line of require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean)) {
  const [key, ref] = line.split("\t");
  const [top, ...rest] = key.split(".");
  let node = (config[top] ??= {});
  for (const p of rest.slice(0, -1)) node = node[p] ??= {};
  node[rest[rest.length - 1]] = ref;
}
process.stdout.write(YAML.stringify({ config }));
' "$HERE/../.."
