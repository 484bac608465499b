#!/usr/bin/env bash
# Builds the Pulumi CLI, its Node.js language host, the provider plugins and a local Kubernetes
# control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, KWOK) from
# Go modules. Nothing is downloaded but Go modules: upstream go.mod files carry replace directives
# pointing at sibling folders, so each part is built through a small wrapper module generated in a
# temporary directory that requires the upstream module and replaces those paths with published
# versions. None of the upstream source lands in this repo.
#
# Idempotent: each part is built once into $PLATFORM_ENGINE_CACHE/builds/<part>-<version> (default
# ~/.cache/platform-engine) and reused while that folder exists; the Go module and build caches
# live beside it, so `rm -rf ~/.cache/platform-engine` gives a cold build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
source "$HERE/versions.sh"

CACHE=${PLATFORM_ENGINE_CACHE:-$HOME/.cache/platform-engine}
BUILDS=$CACHE/builds
BIN=$CACHE/bin
mkdir -p "$BUILDS" "$BIN"
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache
# The machine's Go is the toolchain: never fetch another one.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
# The checksum database does not answer for some Pulumi module versions here; the module proxy's
# content is still pinned by the go.sum that each wrapper writes.
export GONOSUMDB=${GONOSUMDB:-github.com/pulumi/*}

log() { printf '[engine] %s\n' "$*"; }
now() { date +%s; }

# The scripts here and cluster.sh use jq, openssl and curl: install them from Debian if missing.
missing=()
for tool in jq openssl curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}"
fi

# built PART KEY: true when the part was already built with this key.
built() { [ -f "$BUILDS/$1-$2/.done" ]; }

# finish PART KEY DIR [nolink]: move a finished build into place and link its binaries into $BIN
# (not the Kubernetes matrix's other versions: they are used from their build directory).
finish() {
  local part=$1 key=$2 dir=$3 dest=$BUILDS/$1-$2
  rm -rf "$dest"
  mv "$dir" "$dest"
  touch "$dest/.done"
  BUILT_ANY=1
  [ "${4:-}" = nolink ] || for f in "$dest"/bin/*; do ln -sfn "$f" "$BIN/$(basename "$f")"; done
  log "$part $key: built"
}

# link PART KEY: re-link the binaries of a cached build (a cache from an older layout, or $BIN wiped).
link() {
  local dest=$BUILDS/$1-$2
  for f in "$dest"/bin/*; do ln -sfn "$f" "$BIN/$(basename "$f")"; done
  log "$1 $2: cached"
}

# wrapper DIR MODULE_REQUIREMENT...: start a wrapper module in DIR that requires the given modules.
wrapper() {
  local dir=$1; shift
  mkdir -p "$dir"
  (cd "$dir" && go mod init platform.local/engine-wrapper >/dev/null 2>&1)
  local req
  for req in "$@"; do (cd "$dir" && go mod edit -require="$req"); done
}

# copy_replaces DIR UPSTREAM_GOMOD: copy the replace directives of an upstream go.mod that point at
# other modules (not at local folders, which the wrapper replaces with published versions itself).
copy_replaces() {
  local dir=$1 gomod=$2
  go mod edit -json "$gomod" | jq -r '.Replace[]? | select(.New.Version != null)
      | "\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)@\(.New.Version)"' |
    while read -r r; do (cd "$dir" && go mod edit -replace="$r"); done
}

# ---------------------------------------------------------------------------------------------
# k8s_build PART VERSION CMD...: Kubernetes commands at VERSION, with the version ldflags of
# kubernetes' hack/lib/version.sh: without them the binaries report v0.0.0 and clients (the
# kubernetes provider among them) take the old code paths, such as waiting for service-account
# token Secrets. Only $K8S_VERSION's are linked into $BIN.
k8s_build() {
  local part=$1 key=$2; shift 2
  local linking=; [ "$key" = "$K8S_VERSION" ] || linking=nolink
  if built "$part" "$key"; then
    if [ -n "$linking" ]; then log "$part $key: cached (in $BUILDS/$part-$key)"; else link "$part" "$key"; fi
    return
  fi
  local t0 tmp staging minor ldflags pkg v cmd
  t0=$(now); tmp=$(mktemp -d)
  wrapper "$tmp/w" "k8s.io/kubernetes@$key"
  # k8s.io/kubernetes replaces its staging modules with ./staging/src/...: use the published ones.
  staging=$(go mod download -json "k8s.io/kubernetes@$key" | jq -r .GoMod)
  v=v0.${key#v1.}
  go mod edit -json "$staging" | jq -r '.Replace[] | select(.New.Path | startswith("./staging")) | .Old.Path' |
    while read -r m; do (cd "$tmp/w" && go mod edit -replace="$m=$m@$v"); done
  minor=${key#v1.}; minor=${minor%%.*}
  ldflags="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$key -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    ldflags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  done
  mkdir -p "$tmp/out/bin"
  for cmd in "$@"; do
    log "building $cmd $key"
    (cd "$tmp/w" && go build -trimpath -ldflags "$ldflags" -o "$tmp/out/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  done
  finish "$part" "$key" "$tmp/out" $linking; rm -rf "$tmp"
  log "$part $key took $(( $(now) - t0 ))s"
}

CONTROL_PLANE=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

# The control plane and kubectl.
build_kubernetes() { k8s_build kubernetes "$K8S_VERSION" "${CONTROL_PLANE[@]}"; }

# The real node's kubelet and kube-proxy (scripts/node/), same version as the control plane.
build_kubelet() { k8s_build kubelet "$K8S_VERSION" kubelet kube-proxy; }

# The control plane of every minor in $K8S_MATRIX, for `npm run test:matrix` (not built by default).
build_kubernetes_matrix() { for v in $K8S_MATRIX; do k8s_build kubernetes "$v" "${CONTROL_PLANE[@]}"; done; }

# module_binary PART VERSION MODULE PACKAGE LDFLAGS: one binary from a Go module whose go.mod only
# replaces with published versions (copied into the wrapper), into $BUILDS/PART-VERSION/bin/PART.
module_binary() {
  local part=$1 version=$2 module=$3 pkg=$4 ldflags=$5
  if built "$part" "$version"; then link "$part" "$version"; return; fi
  local t0 tmp gomod
  t0=$(now); tmp=$(mktemp -d)
  wrapper "$tmp/w" "$module@$version"
  gomod=$(go mod download -json "$module@$version" | jq -r .GoMod)
  copy_replaces "$tmp/w" "$gomod"
  mkdir -p "$tmp/out/bin"
  log "building $part $version"
  (cd "$tmp/w" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/out/bin/$part" "$pkg")
  finish "$part" "$version" "$tmp/out"; rm -rf "$tmp"
  log "$part took $(( $(now) - t0 ))s"
}

# CoreDNS, deployed as kube-dns on the real node (scripts/node/node.sh).
build_coredns() {
  module_binary coredns "$COREDNS_VERSION" github.com/coredns/coredns github.com/coredns/coredns \
    "-X github.com/coredns/coredns/coremain.GitCommit=module"
}

# kube-router with only its NetworkPolicy firewall on (iptables and ipset): it enforces policies on
# this kernel, where kind's nftables-based kube-network-policies builds but enforces nothing.
build_kube_router() {
  module_binary kube-router "$KUBE_ROUTER_VERSION" github.com/cloudnativelabs/kube-router/v2 \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router \
    "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
}

build_etcd() {
  local key=$ETCD_VERSION
  if built etcd "$key"; then link etcd "$key"; return; fi
  local t0 tmp gomod v
  t0=$(now); tmp=$(mktemp -d)
  v=$ETCD_VERSION
  wrapper "$tmp/w" "go.etcd.io/etcd/server/v3@$v"
  # server/v3 replaces its sibling modules with ../api and friends: use the same published versions.
  for m in go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/pkg/v3 go.etcd.io/etcd/client/v3 go.etcd.io/etcd/pkg/v3; do
    (cd "$tmp/w" && go mod edit -replace="$m=$m@$v")
  done
  gomod=$(go mod download -json "go.etcd.io/etcd/server/v3@$v" | jq -r .GoMod)
  copy_replaces "$tmp/w" "$gomod"
  mkdir -p "$tmp/out/bin"
  log "building etcd $v"
  (cd "$tmp/w" && go build -trimpath -ldflags "-s -w" -o "$tmp/out/bin/etcd" go.etcd.io/etcd/server/v3)
  finish etcd "$key" "$tmp/out"; rm -rf "$tmp"
  log "etcd took $(( $(now) - t0 ))s"
}

# The ClusterPortForward CRD, so port-forwards to a fake pod can be pointed at a loopback server
# (tests/e2e/kwok/health.e2e.ts); kept beside the kwok binary, where cluster.sh finds it.
kwok_crd() {
  local dest=$BUILDS/kwok-$KWOK_VERSION/crds
  [ -f "$dest/clusterportforwards.yaml" ] && return
  mkdir -p "$dest"
  cp "$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .Dir)/kustomize/crd/bases/kwok.x-k8s.io_clusterportforwards.yaml" \
    "$dest/clusterportforwards.yaml"
}

build_kwok() {
  local key=$KWOK_VERSION
  if built kwok "$key"; then link kwok "$key"; kwok_crd; return; fi
  local t0 tmp gomod
  t0=$(now); tmp=$(mktemp -d)
  wrapper "$tmp/w" "sigs.k8s.io/kwok@$KWOK_VERSION"
  gomod=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .GoMod)
  copy_replaces "$tmp/w" "$gomod"
  mkdir -p "$tmp/out/bin"
  log "building kwok $KWOK_VERSION"
  (cd "$tmp/w" && go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    -o "$tmp/out/bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  finish kwok "$key" "$tmp/out"; rm -rf "$tmp"
  kwok_crd
  log "kwok took $(( $(now) - t0 ))s"
}

build_actionlint() {
  local key=$ACTIONLINT_VERSION
  if built actionlint "$key"; then link actionlint "$key"; return; fi
  local t0 tmp
  t0=$(now); tmp=$(mktemp -d)
  wrapper "$tmp/w" "github.com/rhysd/actionlint@$ACTIONLINT_VERSION"
  mkdir -p "$tmp/out/bin"
  log "building actionlint $ACTIONLINT_VERSION"
  (cd "$tmp/w" && go build -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    -o "$tmp/out/bin/actionlint" github.com/rhysd/actionlint/cmd/actionlint)
  finish actionlint "$key" "$tmp/out"; rm -rf "$tmp"
  log "actionlint took $(( $(now) - t0 ))s"
}

# The Pulumi CLI, with the version ldflag of pulumi's pkg/Makefile.
build_pulumi() {
  local key=$PULUMI_VERSION
  if built pulumi "$key"; then link pulumi "$key"; return; fi
  local t0 tmp gomod
  t0=$(now); tmp=$(mktemp -d)
  wrapper "$tmp/w" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  gomod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" | jq -r .GoMod)
  copy_replaces "$tmp/w" "$gomod"
  mkdir -p "$tmp/out/bin"
  log "building pulumi $PULUMI_VERSION"
  (cd "$tmp/w" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$tmp/out/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  finish pulumi "$key" "$tmp/out"; rm -rf "$tmp"
  log "pulumi took $(( $(now) - t0 ))s"
}

# The kubernetes provider. Its main package embeds schema-embed.json and terraform-mapping-embed.json,
# generated by `go generate` from the schema.json in the module (they are not in the module zip), and
# its go.mod replaces the Go SDK with ../sdk. So the module is copied into the temporary directory,
# the embeds are generated there, and the wrapper points at that copy.
build_provider_kubernetes() {
  local key=$KUBERNETES_PROVIDER_MODULE_VERSION
  if built pulumi-resource-kubernetes "$key"; then link pulumi-resource-kubernetes "$key"; return; fi
  local t0 tmp src gomod sdkv
  t0=$(now); tmp=$(mktemp -d)
  src=$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$key" | jq -r .Dir)
  gomod=$src/go.mod
  cp -r "$src" "$tmp/provider"; chmod -R u+w "$tmp/provider"
  sdkv=$(go mod edit -json "$gomod" | jq -r '.Require[] | select(.Path=="github.com/pulumi/pulumi-kubernetes/sdk/v4") | .Version')
  (cd "$tmp/provider" && go mod edit -replace="github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdkv")
  log "generating the kubernetes provider's embedded schema"
  (cd "$tmp/provider/cmd/pulumi-resource-kubernetes" && VERSION=$PULUMI_KUBERNETES_VERSION go run generate.go)
  wrapper "$tmp/w" "github.com/pulumi/pulumi-kubernetes/provider/v4@$key"
  (cd "$tmp/w" && go mod edit -replace="github.com/pulumi/pulumi-kubernetes/provider/v4=../provider" \
    -replace="github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdkv")
  copy_replaces "$tmp/w" "$gomod"
  mkdir -p "$tmp/out/bin"
  log "building pulumi-resource-kubernetes ($key, reporting $PULUMI_KUBERNETES_VERSION)"
  (cd "$tmp/w" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
    -o "$tmp/out/bin/pulumi-resource-kubernetes" github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes)
  finish pulumi-resource-kubernetes "$key" "$tmp/out"; rm -rf "$tmp"
  log "pulumi-resource-kubernetes took $(( $(now) - t0 ))s"
}

# The Node.js language host and the random provider are not served by the module proxy here (see
# versions.sh); scripts/engine/plugins/ has replacements on the SDK's own gRPC definitions. Each is
# compiled to JavaScript in the cache (precompile.js: again only when its source changed), so the CLI
# starts it with plain node and no TypeScript loader. Their launchers point at this checkout, so they
# are written on every run (it takes no time), then every provider is registered with `pulumi plugin
# install --file` at the version the SDK asks for, so the engine never tries to download one.
install_plugins() {
  local repo launcher js node launchers=$CACHE/launchers
  repo=$(cd "$HERE/../.." && pwd)
  # By absolute path: the CLI starts them with whatever PATH its caller has.
  node=$(bash "$HERE/../nodejs/install.sh")/node
  [ -e "$repo/node_modules/typescript/package.json" ] || { log "node_modules missing: run npm ci first"; return 1; }
  mkdir -p "$launchers"
  for launcher in pulumi-language-nodejs:language-host pulumi-resource-random:random-provider; do
    js=$("$node" "$repo/scripts/engine/plugins/precompile.js" "$repo/scripts/engine/plugins/${launcher#*:}.ts" "$launchers/compiled")
    printf '#!/bin/sh\n# Generated by scripts/engine/install.sh from scripts/engine/plugins/%s.ts.\nexport PULUMI_RANDOM_PROVIDER_VERSION=%s\nexec "%s" "%s" "$@"\n' \
      "${launcher#*:}" "$PULUMI_RANDOM_VERSION" "$node" "$js" > "$launchers/${launcher%%:*}.tmp"
    chmod +x "$launchers/${launcher%%:*}.tmp"
    mv -f "$launchers/${launcher%%:*}.tmp" "$launchers/${launcher%%:*}"
  done
  # The language host is found on PATH, next to the CLI; providers come from the plugin directory
  # at the exact version the SDK asks for, so none of them is linked into $BIN.
  ln -sfn "$launchers/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  rm -f "$BIN"/pulumi-resource-*
  # shellcheck source=env.sh
  source "$HERE/env.sh"
  pulumi plugin install resource kubernetes "$PULUMI_KUBERNETES_VERSION" \
    --file "$BUILDS/pulumi-resource-kubernetes-$KUBERNETES_PROVIDER_MODULE_VERSION/bin/pulumi-resource-kubernetes" >/dev/null
  # `plugin install` keeps an installed copy: a launcher written by another checkout (or before a
  # change of this one) is replaced only with --reinstall, and only when it differs.
  if ! cmp -s "$launchers/pulumi-resource-random" "$PULUMI_HOME/plugins/resource-random-v$PULUMI_RANDOM_VERSION/pulumi-resource-random"; then
    pulumi plugin install resource random "$PULUMI_RANDOM_VERSION" --file "$launchers/pulumi-resource-random" --reinstall >/dev/null
  fi
  log "plugins installed in $PULUMI_HOME: kubernetes $PULUMI_KUBERNETES_VERSION, random $PULUMI_RANDOM_VERSION"
}

T0=$(now)
parts=${PLATFORM_ENGINE_PARTS:-"etcd kwok kubernetes kubelet pulumi provider_kubernetes coredns kube_router actionlint plugins"}
for p in $parts; do
  if [ "$p" = plugins ]; then install_plugins; else "build_$p"; fi
done
# The Go build cache of these builds is ~10 GB and only speeds up a rebuild after a version change:
# drop it (PLATFORM_ENGINE_KEEP_GOCACHE=1 keeps it). The module cache (~3 GB) stays.
if [ "${BUILT_ANY:-0}" = 1 ] && [ "${PLATFORM_ENGINE_KEEP_GOCACHE:-0}" != 1 ]; then
  go clean -cache
fi
log "engine ready in $(( $(now) - T0 ))s: binaries in $BIN"
