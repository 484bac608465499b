# Source this to use the locally built engine: `source scripts/engine/env.sh`.
# Puts the binaries from scripts/engine/install.sh on PATH and points Pulumi at a local file backend
# with a passphrase, so nothing talks to Pulumi Cloud, checks for updates or downloads plugins.
# Every setting can be overridden by exporting it first.
# shellcheck source=../nodejs/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../nodejs/env.sh"
PLATFORM_ENGINE_CACHE=${PLATFORM_ENGINE_CACHE:-$HOME/.cache/platform-engine}
export PLATFORM_ENGINE_CACHE
case ":$PATH:" in
  *":$PLATFORM_ENGINE_CACHE/bin:"*) ;;
  *) export PATH="$PLATFORM_ENGINE_CACHE/bin:$PATH" ;;
esac
# Plugins installed with `pulumi plugin install --file` live here, not in ~/.pulumi.
export PULUMI_HOME=${PULUMI_HOME:-$PLATFORM_ENGINE_CACHE/pulumi-home}
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PLATFORM_ENGINE_CACHE/state}
# A local-only passphrase for the dev/test stacks' secrets provider; set your own for anything real.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-platform-local}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
mkdir -p "$PULUMI_HOME" "${PULUMI_BACKEND_URL#file://}" 2>/dev/null || true
