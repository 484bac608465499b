#!/usr/bin/env bash
# A local Kubernetes cluster on loopback, for `npm run up` and the end-to-end tests:
#   bash scripts/engine/cluster.sh start|stop|status|kubeconfig|images
# (images: a running real node imports the stand-in images built since it started)
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler run as plain processes; KWOK
# plays the kubelets of a few fake nodes, so Deployments and StatefulSets roll out and Pods report
# Ready without containers. Everything lives in one temporary directory (kubeconfig included):
# $PLATFORM_CLUSTER_DIR, default /tmp/platform-cluster.
#
# What the kubernetes provider's awaits need, provided here rather than skipped in the program:
# - PersistentVolumeClaims bind: a default StorageClass backed by the controller-manager's built-in
#   hostPath provisioner (volumes under /tmp, deleted with their claims).
# - Services get endpoints: KWOK marks pods Ready with an IP, the endpoint controllers do the rest.
# - Ingresses get an address: a small loop plays the ingress controller and writes 127.0.0.1 into
#   the status of every Ingress (and LoadBalancer Service) that has none.
# No traffic ever goes to a pod or Service IP: the pod range is bookkeeping only. The fake nodes'
# kubelet is KWOK's server on 127.0.0.1:$KWOK_PORT: a pod port-forward through the API fails fast
# unless a ClusterPortForward object sends that pod port to a real server on loopback (the health
# end-to-end test does that).
#
# PLATFORM_CLUSTER_NODE=real starts the cluster with one real node instead (scripts/node/node.sh):
# containerd, kubelet, kube-proxy, kube-router and CoreDNS, and pods that run real processes. The
# whole cluster then lives in its own network namespace ($PLATFORM_CLUSTER_NETNS), reached from the
# host through a veth pair (host 10.250.0.1, cluster 10.250.0.2), so kube-proxy's and the policy
# firewall's iptables rules never touch the host's loopback tests and go with the namespace.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=env.sh
source "$HERE/env.sh"

DIR=${PLATFORM_CLUSTER_DIR:-/tmp/platform-cluster}
ETCD_PORT=${PLATFORM_ETCD_PORT:-23790}
API_PORT=${PLATFORM_API_PORT:-26443}
KWOK_PORT=${PLATFORM_KWOK_PORT:-$((API_PORT + 1))}
NODES=${PLATFORM_CLUSTER_NODES:-3}
KCFG=$DIR/kubeconfig
# A running cluster keeps the mode it was started with (stop and status read it).
MODE=${PLATFORM_CLUSTER_NODE:-$(cat "$DIR/mode" 2>/dev/null || echo kwok)}
case "$MODE" in kwok | real) ;; *) echo "PLATFORM_CLUSTER_NODE must be kwok or real, got '$MODE'" >&2; exit 2 ;; esac
NETNS=${PLATFORM_CLUSTER_NETNS:-platform-node}
HOST_IP=10.250.0.1
NODE_IP=10.250.0.2
API_IP=127.0.0.1
# In its own network namespace the API server takes the usual port: pods reach it through the
# kubernetes Service, and NetworkPolicies judge the translated port (the program allows 443 and 6443).
[ "$MODE" = real ] && API_IP=$NODE_IP && API_PORT=6443

log() { printf '[cluster] %s\n' "$*"; }

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# inns: the command prefix that enters the cluster's network namespace (none for KWOK).
inns() { [ "$MODE" = real ] && echo nsenter --net="/run/netns/$NETNS"; true; }

# spawn NAME CMD...: start a process in the background with its log and pid in $DIR.
spawn() {
  local name=$1; shift
  if running "$name"; then return; fi
  set -- $(inns) "$@"
  setsid "$@" >"$DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local limit=$1 what=$2; shift 2
  local i
  for ((i = 0; i < limit * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out waiting for $what"; return 1
}

certs() {
  [ -f "$DIR/pki/admin.crt" ] && return
  mkdir -p "$DIR/pki"; cd "$DIR/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=platform-local-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1,IP:%s\n' "$NODE_IP" > san.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 -extfile san.ext 2>/dev/null
  # One client identity in system:masters for the control plane, KWOK and the user alike: this
  # cluster lives for one test run on loopback.
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=platform-admin" 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 30 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  cd - >/dev/null
}

kubeconfig() {
  cat > "$KCFG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: platform-local
  cluster:
    server: https://$API_IP:$API_PORT
    certificate-authority: $DIR/pki/ca.crt
users:
- name: platform-admin
  user:
    client-certificate: $DIR/pki/admin.crt
    client-key: $DIR/pki/admin.key
contexts:
- name: platform-local
  context: {cluster: platform-local, user: platform-admin}
current-context: platform-local
EOF
}

k() { kubectl --kubeconfig "$KCFG" "$@"; }

nodes() {
  local i
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-$i
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi}
  capacity: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi}
EOF
  done
}

# storage PROVISIONER: the default StorageClass. KWOK clusters use the controller-manager's built-in
# hostPath provisioner; the real node uses volume_loop below.
storage() {
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: $1
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

# The real node's volume provisioner, kind's local-path in a few lines: every pending claim of the
# default class gets a `local` PersistentVolume on a directory under $DIR/volumes, pre-bound to it.
# `local` rather than hostPath because the kubelet applies the pod's fsGroup to local volumes, so
# the datastores' non-root users own their data directories as they would on a cloud disk. Volumes
# are keyed by the claim's uid, as a cloud provisioner's are: a claim deleted and made again under
# the same name gets a new, empty volume, and the old one stays (Retain) until deleted by hand.
provision_local() {
  local ns=$1 name=$2 size=$3 uid=$4 path=$DIR/volumes/$1-$2-$4
  mkdir -p "$path"
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pvc-$uid, labels: {platform.local/provisioned: "true"}}
spec:
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: standard
  claimRef: {namespace: $ns, name: $name, uid: $uid}
  local: {path: $path}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: Exists}]}]
EOF
}

volume_loop() {
  while true; do
    k get pvc -A -o json 2>/dev/null |
      jq -r '.items[] | select(.status.phase == "Pending" and (.spec.volumeName // "") == "")
        | "\(.metadata.namespace) \(.metadata.name) \(.spec.resources.requests.storage) \(.metadata.uid)"' |
      while read -r ns name size uid; do provision_local "$ns" "$name" "$size" "$uid"; done
    sleep 1
  done
}

# The real node's network namespace and the veth pair that reaches it from the host.
netns_up() {
  ip netns list | grep -qw "$NETNS" && return
  ip netns add "$NETNS"
  ip link add "${NETNS:0:10}-host" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "${NETNS:0:10}-host"
  ip link set "${NETNS:0:10}-host" up
  nsenter --net="/run/netns/$NETNS" sh -c "ip link set lo up && ip addr add $NODE_IP/30 dev eth0 && ip link set eth0 up"
  # The host reaches Services and pods through the node, as a machine on the node's network would;
  # the node's NetworkPolicies decide what such traffic may reach.
  ip route add 10.96.0.0/16 via "$NODE_IP"
  ip route add 10.244.0.0/16 via "$NODE_IP"
}

netns_down() {
  ip netns list | grep -qw "$NETNS" || return 0
  ip netns delete "$NETNS"
  ip link delete "${NETNS:0:10}-host" 2>/dev/null || true
}

# The ingress controller's (and cloud load balancer's) one job that the provider's await looks at:
# an address in the status. fill_status KIND JQ_SELECT: write 127.0.0.1 where the status has none.
fill_status() {
  k get "$1" -A -o json 2>/dev/null |
    jq -r ".items[] | select($2 and ((.status.loadBalancer.ingress // []) | length == 0)) | \"\\(.metadata.namespace) \\(.metadata.name)\"" |
    while read -r ns name; do
      k -n "$ns" patch "$1" "$name" --subresource=status --type=merge \
        -p '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}' >/dev/null 2>&1 || true
    done
}

ingress_status_loop() {
  while true; do
    fill_status ingress true
    fill_status svc '.spec.type == "LoadBalancer"'
    sleep 1
  done
}

start() {
  local t0=$SECONDS
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl $([ "$MODE" = kwok ] && echo kwok); do
    command -v "$b" >/dev/null || { log "$b not found: run bash scripts/engine/install.sh"; exit 1; }
  done
  mkdir -p "$DIR"
  certs; kubeconfig
  echo "$MODE" > "$DIR/mode"
  [ "$MODE" = real ] && netns_up
  spawn etcd etcd --name platform-local --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-cluster "platform-local=http://127.0.0.1:$((ETCD_PORT + 10))" \
    --listen-metrics-urls "" --quota-backend-bytes 2147483648 --unsafe-no-fsync
  wait_for 30 etcd $(inns) curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  # A real kubelet refuses anonymous callers: port-forward, exec and logs reach it with the API
  # server's client identity, and the API server checks the kubelet's serving certificate.
  spawn kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$API_IP" --advertise-address "$API_IP" --secure-port "$API_PORT" \
    --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
    --client-ca-file "$DIR/pki/ca.crt" --authorization-mode Node,RBAC \
    --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.96.0.0/16 --kubelet-preferred-address-types InternalIP \
    $([ "$MODE" = real ] && echo --kubelet-client-certificate "$DIR/pki/admin.crt" --kubelet-client-key "$DIR/pki/admin.key" \
      --kubelet-certificate-authority "$DIR/pki/ca.crt") \
    --endpoint-reconciler-type "$([ "$MODE" = real ] && echo lease || echo none)" --cert-dir "$DIR/pki"
  wait_for 90 kube-apiserver k get --raw /readyz
  spawn kube-controller-manager kube-controller-manager --kubeconfig "$KCFG" \
    --authentication-kubeconfig "$KCFG" --authorization-kubeconfig "$KCFG" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --use-service-account-credentials=false --enable-hostpath-provisioner=true \
    --cluster-signing-cert-file "$DIR/pki/ca.crt" --cluster-signing-key-file "$DIR/pki/ca.key" \
    --controllers '*' --concurrent-deployment-syncs 10 --concurrent-statefulset-syncs 10 \
    $([ "$MODE" = real ] && echo --allocate-node-cidrs --cluster-cidr 10.244.0.0/16 --node-cidr-mask-size 24)
  spawn kube-scheduler kube-scheduler --kubeconfig "$KCFG" \
    --authentication-kubeconfig "$KCFG" --authorization-kubeconfig "$KCFG" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
  spawn ingress-status bash -c "$(declare -f k fill_status ingress_status_loop); KCFG='$KCFG'; ingress_status_loop"
  if [ "$MODE" = real ]; then
    storage platform.local/local-dir | k apply -f - >/dev/null
    spawn volumes bash -c "$(declare -f k provision_local volume_loop); KCFG='$KCFG' DIR='$DIR'; volume_loop"
    DIR=$DIR KCFG=$KCFG NETNS=$NETNS NODE_IP=$NODE_IP bash "$HERE/../node/node.sh" start
  else
    storage kubernetes.io/host-path | k apply -f - >/dev/null
    k apply -f "$(dirname "$(readlink -f "$(command -v kwok)")")/../crds/clusterportforwards.yaml" >/dev/null
    spawn kwok kwok --kubeconfig "$KCFG" --manage-all-nodes=false \
      --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
      --node-ip 127.0.0.1 --cidr 10.244.0.1/16 --node-lease-duration-seconds 40 \
      --server-address "127.0.0.1:$KWOK_PORT" --node-port "$KWOK_PORT" --enable-crds ClusterPortForward
    nodes | k apply -f - >/dev/null
    wait_for 60 "ready nodes" bash -c "[ \$(kubectl --kubeconfig '$KCFG' get nodes --no-headers 2>/dev/null | grep -c ' Ready ') -eq $NODES ]"
  fi
  wait_for 60 "default service account" k -n default get serviceaccount default
  log "started in $((SECONDS - t0))s; export KUBECONFIG=$KCFG"
}

stop() {
  local name
  if [ -f "$DIR/containerd.pid" ] || [ -f "$DIR/node/sysctls" ]; then
    # The control plane goes whatever the node's stop says.
    DIR=$DIR KCFG=$KCFG NETNS=$NETNS NODE_IP=$NODE_IP bash "$HERE/../node/node.sh" stop || log "the real node's stop failed"
  fi
  for name in volumes ingress-status kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    if running "$name"; then
      kill -- "-$(cat "$DIR/$name.pid")" 2>/dev/null || kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
    fi
  done
  for name in volumes ingress-status kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    local i
    for ((i = 0; i < 50; i++)); do running "$name" || break; sleep 0.2; done
    # Still there after 10 s: nothing of a stopped cluster may outlive it.
    if running "$name"; then kill -9 -- "-$(cat "$DIR/$name.pid")" 2>/dev/null || kill -9 "$(cat "$DIR/$name.pid")" 2>/dev/null || true; fi
    rm -f "$DIR/$name.pid"
  done
  rm -rf "$DIR"
  [ "$MODE" = real ] && netns_down
  log "stopped"
}

status() {
  local name ok=0
  local parts="etcd kube-apiserver kube-controller-manager kube-scheduler kwok ingress-status"
  [ "$MODE" = real ] && parts="etcd kube-apiserver kube-controller-manager kube-scheduler volumes ingress-status containerd kubelet kube-proxy kube-router"
  for name in $parts; do
    if running "$name"; then printf '%-24s running (pid %s)\n' "$name" "$(cat "$DIR/$name.pid")"
    else printf '%-24s stopped\n' "$name"; ok=1; fi
  done
  [ $ok -eq 0 ] && k get nodes
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kubeconfig) echo "$KCFG" ;;
  images)
    [ "$MODE" = real ] || { echo "images: the cluster in $DIR has no real node" >&2; exit 2; }
    DIR=$DIR KCFG=$KCFG NETNS=$NETNS NODE_IP=$NODE_IP bash "$HERE/../node/node.sh" images ;;
  *) echo "usage: $0 start|stop|status|kubeconfig|images" >&2; exit 2 ;;
esac
