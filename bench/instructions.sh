#!/usr/bin/env bash
# bench/instructions.sh: the L7 hop's instructions per request, gatehouse
# against Go's floor (bench/cmd/floorproxy), counted by valgrind's callgrind.
#
# all.sh's l7 group times the hop on a shared VM, where two runs of the same
# binary differ by ±20 %; a count of instructions does not depend on the
# neighbours, so a change of 2 % shows. It is not the CPU time (no kernel, no
# cache misses, no clock reads' real price: time.Now is 55 ns in this VM),
# but the user-space work a change adds or removes, function by function.
#
#   bench/instructions.sh                       # ~3 minutes
#   N=50000 CONNS=8 bench/instructions.sh
#   GATEHOUSE_BIN=/tmp/old bench/instructions.sh  # a build to compare
#
# Each proxy runs under callgrind with GOMAXPROCS=1 (as in all.sh's l7 group),
# GOGC=off (under valgrind's ~50× slowdown when the collector runs is a matter
# of timing: its share swings the count by ±10 %; all.sh measures it) and
# GODEBUG=cpu.rdtscp=off,asyncpreemptoff=1 (valgrind 3.19 knows neither
# RDTSCP nor Go's preemption signal). After WARM requests the counters are
# zeroed, bench/cmd/fixedload sends N GETs over CONNS keep-alive connections
# (wrk's request: GET / with Host only) to the nginx backend's 1 KB answer,
# and the counters are dumped. Prints instructions per request for both, their
# ratio, and gatehouse's 25 dearest functions (their own instructions); the
# callgrind files stay in RESULTS for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

NET=${NET:-127.66}
N=${N:-20000}
CONNS=${CONNS:-32}
WARM=${WARM:-3000}
RESULTS=${RESULTS:-/tmp/gatehouse-bench-results/instructions-$(date +%Y%m%d-%H%M%S)}
BACKEND=$NET.1.1:8080
FLOOR=$NET.0.5:80

log() { echo "[instructions $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

need=()
for c in valgrind nginx curl ss; do command -v "$c" >/dev/null || need+=("$c"); done
if ((${#need[@]})); then
	pkgs=("${need[@]/ss/iproute2}")
	log "installing ${pkgs[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
for a in "$BACKEND" "$FLOOR"; do
	ss -Htln | awk '{print $4}' | grep -qx "$a" && die "$a is in use (another bench?)"
done

mkdir -p "$RESULTS"
WORK=$(mktemp -d)
PIDS=()
trap 'stop_pids; rm -rf "$WORK"' EXIT
if [[ -n ${GATEHOUSE_BIN:-} ]]; then
	cp "$GATEHOUSE_BIN" "$WORK/gatehouse"
else
	go build -o "$WORK/gatehouse" ./cmd/gatehouse
fi
go build -o "$WORK/floorproxy" ./bench/cmd/floorproxy
go build -o "$WORK/fixedload" ./bench/cmd/fixedload

head -c 1024 /dev/zero | tr '\0' x >"$WORK/1k.txt"
nginx_conf "$WORK/nginx" 1 "
	  default_type text/plain;
	  server {
	    listen $BACKEND;
	    keepalive_requests 1000000;
	    location / { return 200 \"$(cat "$WORK/1k.txt")\"; }
	  }"
nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$RESULTS/backend.log" 2>&1 &
PIDS+=($!)
l7_stack "$WORK/l7.yaml" l7 "${BACKEND%:*}"

# count NAME ADDR-COMMAND CMD...: runs CMD under callgrind, finds its
# address with ADDR-COMMAND (given the pid), loads it, and sets IR to its
# instructions a request.
count() {
	local name=$1 find=$2
	shift 2
	GOGC=off GODEBUG=cpu.rdtscp=off,asyncpreemptoff=1 GOMAXPROCS=1 \
		valgrind --tool=callgrind --callgrind-out-file="$RESULTS/$name.cg" "$@" \
		>"$RESULTS/$name.out" 2>"$RESULTS/$name.log" &
	local pid=$! addr=""
	PIDS+=("$pid")
	for _ in $(seq 240); do
		addr=$($find "$pid") && [[ -n $addr ]] &&
			[[ $(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$addr/") == 200 ]] && break
		kill -0 "$pid" 2>/dev/null || die "$name exited: $(tail -n 5 "$RESULTS/$name.log")"
		addr=""
		sleep 1
	done
	[[ -n $addr ]] || die "$name does not answer 200"
	"$WORK/fixedload" -addr "$addr" -n "$WARM" -c "$CONNS" >/dev/null
	callgrind_control -z "$pid" >/dev/null
	"$WORK/fixedload" -addr "$addr" -n "$N" -c "$CONNS" >/dev/null
	callgrind_control -d "$pid" >/dev/null
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	local ir
	ir=$(callgrind_annotate "$RESULTS/$name.cg.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
	IR=$((ir / N))
	log "$name: $IR instructions a request ($addr)"
}
gatehouse_addr() { ss -Htlnp | grep "pid=$1," | awk '{print $4}' | grep ':80$' | sort -V | head -1; }
floor_addr() { ss -Htlnp | grep "pid=$1," | awk '{print $4}' | head -1; }

log "results in $RESULTS; $N requests over $CONNS connections after $WARM"
count gatehouse gatehouse_addr "$WORK/gatehouse" serve --data-dir "$WORK/data" \
	--dns-listen 127.0.0.1:15353 --aws-listen "" --vpc-cidr "$NET.0.0/16" \
	--static-ip-pools "$NET.11.0/24,$NET.12.0/24" -f "$WORK/l7.yaml"
gh=$IR
count floor floor_addr "$WORK/floorproxy" -listen "$FLOOR" -target "$BACKEND"
fl=$IR
{
	awk -v g="$gh" -v f="$fl" 'BEGIN { printf "instructions a request (callgrind, GOGC=off): gatehouse %d, Go floor %d, ratio %.2f\n\n", g, f, g / f }'
	echo "gatehouse's dearest functions, their own instructions a request:"
	callgrind_annotate --auto=no "$RESULTS/gatehouse.cg.1" 2>/dev/null |
		sed -nE 's/^ *([0-9,]+) \( *[0-9.]+%\) +([^ ]+:[^ ]+).*/\1 \2/p' | grep -v 'PROGRAM' |
		awk -v n="$N" '{gsub(",", "", $1); printf "%7d  %s\n", $1 / n, $2}' |
		grep -v -e 'mstart' -e clone -e start_thread -e threadentry -e 'gcc_' | awk 'NR <= 25'
} | tee "$RESULTS/table.txt"
