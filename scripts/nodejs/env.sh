# Sourced by the project's scripts and .ci/run: the project's Node.js (scripts/nodejs/install.sh,
# installed when missing) first on PATH, whatever Node.js the machine has.
NODEJS_BIN=$(bash "$(dirname "${BASH_SOURCE[0]}")/install.sh")
case ":$PATH:" in
  *":$NODEJS_BIN:"*) ;;
  *) export PATH="$NODEJS_BIN:$PATH" ;;
esac
