#!/usr/bin/env bash
# A three-node gatehouse cluster on one machine, in network namespaces: a
# router running BIRD 2 with ECMP, three nodes each running gatehouse, a
# client routed through the router, and three etcd members (Debian's
# etcd-server) in this (root) namespace. The same topology as
# test/e2e/cluster_test.go; see README.md here for what to try.
#
# Run as root from the repository:
#
#   apt-get install -y bird2 etcd-server iproute2 procps curl
#   examples/cluster/cluster.sh up      # builds ./gatehouse if needed, starts everything, prints what to try
#   examples/cluster/cluster.sh node 3  # starts node 3 again after you stopped it
#   examples/cluster/cluster.sh down    # stops everything and removes the namespaces
#
# GATEHOUSE=path/to/gatehouse uses that binary instead of building one;
# ETCD=path/to/etcd that etcd. Everything runs in the background; logs and
# state are under $WORK (default /tmp/gatehouse-cluster).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${WORK:-/tmp/gatehouse-cluster}
etcd_bin=${ETCD:-etcd}

# The address plan: 10.251.0.0/24 for the links, one /30 each; the static IPs
# from the benchmarking range (routers drop loopback prefixes).
plan=10.251.0.0/24
host_addr=10.251.0.1 rtr_addr=10.251.0.2 # root namespace <-> router
pools=198.18.93.0/24,198.18.94.0/24
vpc=127.91.0.0/16
router_asn=65000 node_asn=65001
nodes=(1 2 3)
node_addr() { echo "10.251.0.$((4 * $1 + 2))"; }
gw_addr() { echo "10.251.0.$((4 * $1 + 1))"; }
client_addr=10.251.0.18 client_gw=10.251.0.17
keys_id=AKIDCLUSTEREXAMPLE keys_secret=cluster-example-secret

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

down() {
  for f in "$work"/*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  sleep 1
  for ns in gh-client gh-node3 gh-node2 gh-node1 gh-router; do
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del gh-uplink 2>/dev/null || true
  echo "cluster down (logs and state kept in $work)"
}

# start NAME CMD...: runs CMD in the background, output to $work/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  echo $! >"$work/$name.pid"
}

# node I: starts (or restarts) node I and waits until it serves.
node() {
  local i=$1 addr bin=${GATEHOUSE:-$work/gatehouse} endpoints=""
  addr=$(node_addr "$i")
  for m in 0 1 2; do endpoints+="${endpoints:+,}$host_addr:$((2379 + 10 * m))"; done
  local args=(serve --store "etcd://$endpoints/example" --node-name "node$i" --node-address "$addr" --data-dir "$work/node$i"
    --dns-listen 127.0.0.1:1053 --aws-listen "$addr:4566" --aws-keys-file "$work/aws-keys"
    --metrics-listen "$addr:9100" --vpc-cidr "$vpc" --static-ip-pools "$pools"
    --bgp-asn "$node_asn" --bgp-router-id "$addr" --bgp-peer "$router_asn@$(gw_addr "$i")"
    --bgp-hold-time 3s --drain-timeout 10s)
  # Node 1 applies the walkthrough's stack; the others serve it from etcd.
  # (A restart of node 1 finds the file unchanged and applies nothing.)
  [ "$i" = 1 ] && args+=(-f "$repo/examples/static-ip-api.yaml")
  if [ -e "$work/node$i.pid" ] && kill -0 "$(cat "$work/node$i.pid")" 2>/dev/null; then
    die "node $i runs (pid $(cat "$work/node$i.pid"))"
  fi
  echo "node $i: gatehouse ${args[*]}"
  [ -e "$work/node$i.log" ] && mv "$work/node$i.log" "$work/node$i.log.1"
  start "node$i" ip netns exec "gh-node$i" "$bin" "${args[@]}"
  for _ in $(seq 600); do
    grep -q '^gatehouse serving' "$work/node$i.log" && return 0
    kill -0 "$(cat "$work/node$i.pid")" 2>/dev/null || die "node $i exited: $(tail -3 "$work/node$i.log")"
    sleep 0.1
  done
  die "node $i did not come up: $(tail -3 "$work/node$i.log")"
}

up() {
  [ "$(id -u)" = 0 ] || die "run as root (namespaces, port 443)"
  for bin in ip bird birdc sysctl curl "$etcd_bin"; do
    command -v "$bin" >/dev/null || die "$bin not found (apt-get install -y bird2 etcd-server iproute2 procps curl)"
  done
  ip netns list | grep -q '^gh-router' && die "already up: run '$0 down' first"
  mkdir -p "$work"
  local bin=${GATEHOUSE:-$work/gatehouse}
  if [ -z "${GATEHOUSE:-}" ]; then
    echo "building gatehouse into $bin"
    (cd "$repo" && go build -o "$bin" ./cmd/gatehouse)
  fi
  # Whatever fails from here (set -e, die) removes what was built.
  trap 'echo "failed; cleaning up" >&2; down' EXIT

  echo "network namespaces: gh-router, gh-node1..3, gh-client"
  ip netns add gh-router
  ip -n gh-router link set lo up
  for kv in net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; do
    ip netns exec gh-router sysctl -q -w "$kv"
  done
  ip link add gh-uplink type veth peer name uplink netns gh-router
  ip addr add "$host_addr/30" dev gh-uplink
  ip link set gh-uplink up
  ip -n gh-router addr add "$rtr_addr/30" dev uplink
  ip -n gh-router link set uplink up
  ip route add "$plan" via "$rtr_addr"

  # link NS ROUTER_IF ADDR GATEWAY
  link() {
    ip netns add "$1"
    ip -n "$1" link set lo up
    ip -n gh-router link add "$2" type veth peer name eth0 netns "$1"
    ip -n gh-router addr add "$4/30" dev "$2"
    ip -n gh-router link set "$2" up
    ip -n "$1" addr add "$3/30" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$1" route add default via "$4"
  }
  for i in "${nodes[@]}"; do
    link "gh-node$i" "n$i" "$(node_addr "$i")" "$(gw_addr "$i")"
    for p in ${pools//,/ }; do ip -n "gh-node$i" route add local "$p" dev lo; done
  done
  link gh-client client "$client_addr" "$client_gw"

  echo "router: BIRD 2, one eBGP session per node, ECMP into its kernel table"
  local accept=""
  for p in ${pools//,/ }; do accept+="${accept:+, }$p{32,32}"; done
  {
    echo "router id $rtr_addr;"
    echo 'log stderr all;'
    echo 'protocol device { scan time 1; }'
    echo 'protocol kernel { ipv4 { import none; export all; }; merge paths on; }'
    echo "template bgp nodes { local as $router_asn; passive on; error wait time 1, 10;"
    # Only /32s inside the pools: a router takes nothing else from the nodes.
    echo "  ipv4 { import filter { if net ~ [ $accept ] then accept; reject; }; export none; }; }"
    for i in "${nodes[@]}"; do echo "protocol bgp node$i from nodes { neighbor $(node_addr "$i") as $node_asn; }"; done
  } >"$work/bird.conf"
  start bird ip netns exec gh-router bird -f -c "$work/bird.conf" -s "$work/bird.ctl"
  for _ in $(seq 100); do birdc -s "$work/bird.ctl" show status >/dev/null 2>&1 && break; sleep 0.1; done
  birdc -s "$work/bird.ctl" show status >/dev/null 2>&1 || die "bird did not start: $(cat "$work/bird.log")"

  echo "etcd: three members on $host_addr"
  local initial=""
  for m in 0 1 2; do initial+="${initial:+,}m$m=http://$host_addr:$((2380 + 10 * m))"; done
  for m in 0 1 2; do
    start "etcd$m" "$etcd_bin" --name "m$m" --data-dir "$work/etcd$m" \
      --listen-client-urls "http://$host_addr:$((2379 + 10 * m))" --advertise-client-urls "http://$host_addr:$((2379 + 10 * m))" \
      --listen-peer-urls "http://$host_addr:$((2380 + 10 * m))" --initial-advertise-peer-urls "http://$host_addr:$((2380 + 10 * m))" \
      --initial-cluster "$initial" --initial-cluster-token gatehouse-example
  done
  echo "$keys_id $keys_secret" >"$work/aws-keys"
  chmod 600 "$work/aws-keys"

  for i in "${nodes[@]}"; do node "$i"; done
  trap - EXIT

  local ips
  ips=$(sed -n 's/^api\.example\.test → //p' "$work/node1.log" | tr -d ',')
  local ip1=${ips%% *}
  cat <<EOF

Up. Static IPs: $ips (api.example.test). Logs: $work/*.log

From the client namespace, through the router:
  ip netns exec gh-client curl --cacert $work/node1/ca.pem --resolve api.example.test:443:$ip1 https://api.example.test/
Each node's nameserver (127.0.0.1:1053 in its namespace):
  ip netns exec gh-node2 dig @127.0.0.1 -p 1053 +short api.example.test

The router's ECMP route and BGP sessions:
  ip -n gh-router route show $ip1
  birdc -s $work/bird.ctl show protocols

The AWS API on any node (writes on one are served by all):
  AWS_ACCESS_KEY_ID=$keys_id AWS_SECRET_ACCESS_KEY=$keys_secret AWS_DEFAULT_REGION=us-west-2 \\
    aws --endpoint-url http://$(node_addr 2):4566 globalaccelerator list-accelerators

Which node served (per node, connections proxied):
  for a in $(for i in "${nodes[@]}"; do printf '%s ' "$(node_addr "$i")"; done); do curl -s http://\$a:9100/metrics | grep 'connections_total{outcome="proxied"}'; done

Stop a node gracefully / crash one / hang one, and watch the route:
  kill \$(cat $work/node3.pid)        # SIGTERM: withdraw, drain, exit
  kill -9 \$(cat $work/node2.pid)     # crash: the session closes at once
  kill -STOP \$(cat $work/node1.pid)  # hang: the router waits the 3 s hold time (kill -CONT to resume)
  watch -n 0.2 ip -n gh-router route show $ip1

Stop an etcd member: kill \$(cat $work/etcd0.pid)

Start a stopped node again: $0 node 3
'$0 down' stops everything.
EOF
}

case "${1:-}" in
up) up ;;
node) node "${2:?usage: $0 node 1|2|3}" ;;
down) down ;;
*) die "usage: $0 up | node N | down" ;;
esac
