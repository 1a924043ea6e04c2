#!/usr/bin/env bash
# bench/dns.sh: gatehouse's authoritative DNS against BIND 9 and NSD.
#
# Serves one zone (bench.test: the SOA and NS gatehouse gives it, plus NAMES A
# records) from gatehouse, BIND and NSD, each pinned to one core (taskset -c
# SERVER_CPU; gatehouse with GOMAXPROCS=1, BIND with -n 1, NSD with one server
# process), drives each with a client pinned to the other core, same query
# file, same duration, and prints queries/s and the RATIOS gatehouse/BIND and
# gatehouse/NSD, median over ROUNDS rounds, for each client of LOADERS.
#
# Two clients, each a measurement: dnsperf (DNS-OARC's, from Debian) and
# bench/cmd/dnsload (the same load: -c sockets, -q queries in flight, the same
# query file, but up to 64 datagrams a system call). On a 2-core machine
# dnsperf needs more CPU a query (~8 µs) than these servers (~3-8 µs), so its
# core, not theirs, sets their qps and all three read alike; dnsload needs
# less, each server's core is the limit (near 100 % busy), and qps is the
# server's qps on one core. Every server asks for a 1 MiB receive buffer
# (gatehouse and NSD by themselves, BIND by udp-receive-buffer): a query
# dropped for want of room holds a client's slot for the timeout. See
# bench/README.md.
#
# Needs root: it installs dnsperf, bind9 and nsd from Debian when they are
# missing, and runs BIND and NSD as root with their files in a temporary
# directory. Everything listens on 127.0.0.1, ports PORT..PORT+2.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# ---- knobs ----------------------------------------------------------------
DURATION=${DURATION:-10}         # the client's -l, seconds, per measured run
WARMUP=${WARMUP:-2}              # the client's -l of the discarded run before each measured one
ROUNDS=${ROUNDS:-3}              # every server once per round; even rounds in reverse order; medians reported
NAMES=${NAMES:-1000}             # A records in the zone; the query file asks each once, shuffled
CLIENTS=${CLIENTS:-4}            # the client's -c (sockets)
OUTSTANDING=${OUTSTANDING:-200}  # the client's -q (queries in flight)
TIMEOUT=${TIMEOUT:-1}            # the client's -t: a lost query holds its slot this long (dnsperf's default 5 s)
LOADERS=${LOADERS:-"dnsload dnsperf"} # the clients, one measurement each (see above)
SERVER_CPU=${SERVER_CPU:-1}      # the core every server is pinned to
CLIENT_CPU=${CLIENT_CPU:-0}      # the core the client is pinned to
IP=${IP:-127.0.0.1}              # every server on this address (BIND listens only on interface addresses)
PORT=${PORT:-15331}              # gatehouse PORT, BIND PORT+1, NSD PORT+2
ZONE=bench.test
# bench/run.sh's DURATION and WARMUP are wrk's ("10s"); the clients take seconds.
DURATION=${DURATION%s}
WARMUP=${WARMUP%s}
RESULTS=${RESULTS:-/tmp/gatehouse-bench-results/dns-$(date +%Y%m%d-%H%M%S)}
GATEHOUSE_BIN=${GATEHOUSE_BIN:-} # prebuilt binary; empty: go build
DNSLOAD_BIN=${DNSLOAD_BIN:-}     # prebuilt bench/cmd/dnsload; empty: go build when LOADERS has it

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[dns-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: BIND and NSD start as root"
(($(nproc) >= 2)) || die "needs two cores: one for the server, one for the client"

# ---- tools -----------------------------------------------------------------
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v named >/dev/null || need+=(bind9)
command -v nsd >/dev/null || need+=(nsd)
command -v dig >/dev/null || need+=(bind9-dnsutils)
if ((${#need[@]})); then
	if ! apt-cache policy "${need[@]}" | grep -q 'Candidate: [0-9]'; then
		log "apt-get update (no candidate for ${need[*]})"
		apt-get update -qq
	fi
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian starts the packaged daemons on install; they listen on other addresses,
# but they would take CPU from the measured server. Only note them.
for d in named nsd; do
	pgrep -x "$d" >/dev/null && log "note: a system $d is running (pid $(pgrep -x "$d" | tr '\n' ' ')); it is left alone"
done

GH=$IP:$PORT
BIND=$IP:$((PORT + 1))
NSD=$IP:$((PORT + 2))
busy=$(ss -Hlnu | awk -v a="$GH" -v b="$BIND" -v c="$NSD" '$4 == a || $4 == b || $4 == c { print $4 }')
[[ -z $busy ]] || die "addresses in use: $(echo $busy)"
xdp=$(loopback_xdp)
[[ -z $xdp ]] || die "$xdp"

# ---- work dir, cleanup ------------------------------------------------------
WORK=$(mktemp -d /tmp/gatehouse-dnsbench.XXXXXX)
chmod 755 "$WORK"
# gatehouse's store on tmpfs: applying NAMES records is then not NAMES fsyncs.
STORE=$(mktemp -d /dev/shm/gatehouse-dnsbench.XXXXXX)
mkdir -p "$RESULTS/raw"
PIDS=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pids
	rm -rf "$WORK" "$STORE"
	log "stopped everything; results in $RESULTS"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- gatehouse -----------------------------------------------------------------
if [[ -z $GATEHOUSE_BIN ]]; then
	log "building gatehouse"
	(cd "$REPO" && go build -o "$WORK/gatehouse" ./cmd/gatehouse)
	GATEHOUSE_BIN=$WORK/gatehouse
fi
for l in $LOADERS; do
	case $l in
	dnsperf) ;;
	dnsload)
		if [[ -z $DNSLOAD_BIN ]]; then
			(cd "$REPO" && go build -o "$WORK/dnsload" ./bench/cmd/dnsload) || die "building bench/cmd/dnsload"
			DNSLOAD_BIN=$WORK/dnsload
		fi
		;;
	*) die "LOADERS: $l is neither dnsperf nor dnsload" ;;
	esac
done
# records FORMAT: one line per name, FORMAT given i and host<i>'s address in the
# documentation ranges (RFC 5737), 250 names each. awk, not a subshell per name:
# 1000 of those take half a minute on a busy box.
records() {
	awk -v n="$NAMES" -v f="$1" 'BEGIN { split("192.0.2 198.51.100 203.0.113", nets, " ")
		for (i = 0; i < n; i++) printf f "\n", i, nets[int(i / 250) % 3 + 1] "." (i % 250 + 1) }'
}
{
	echo "zones:"
	echo "  - name: $ZONE"
	echo "records:"
	records "  - {zone: $ZONE, name: host%d.$ZONE, type: A, ttl: 300, values: [%s]}"
} >"$WORK/stack.yaml"
log "starting gatehouse on $GH (taskset -c $SERVER_CPU, GOMAXPROCS=1), applying $NAMES records"
GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$GATEHOUSE_BIN" serve --data-dir "$STORE" --dns-listen "$GH" \
	--aws-listen "" -f "$WORK/stack.yaml" >"$RESULTS/gatehouse.out" 2>"$RESULTS/gatehouse.log" &
GH_PID=$!
PIDS+=("$GH_PID")
for _ in $(seq 240); do
	grep -q '^gatehouse serving' "$RESULTS/gatehouse.out" && break
	kill -0 "$GH_PID" 2>/dev/null || die "gatehouse exited: $(tail -3 "$RESULTS/gatehouse.log")"
	sleep 0.5
done
grep -q '^gatehouse serving' "$RESULTS/gatehouse.out" || die "gatehouse did not apply the stack in 120s"

# ---- the same zone for BIND and NSD: gatehouse's SOA and NS, the same A records
ask() { dig +norec +time=2 +tries=3 -p "${1#*:}" "@${1%:*}" "${@:2}"; }
{
	echo "\$ORIGIN $ZONE."
	ask "$GH" "$ZONE" SOA +noall +answer
	ask "$GH" "$ZONE" NS +noall +answer
	records "host%d 300 IN A %s"
} >"$WORK/$ZONE.zone"
grep -q SOA "$WORK/$ZONE.zone" || die "gatehouse gave no SOA for $ZONE"

mkdir -p "$WORK/bind" "$WORK/nsd"
cat >"$WORK/named.conf" <<EOF
options {
  directory "$WORK/bind";
  pid-file "$WORK/bind/named.pid";
  session-keyfile "$WORK/bind/session.key";
  listen-on port ${BIND#*:} { ${BIND%:*}; };
  listen-on-v6 { none; };
  recursion no;
  minimal-responses yes;
  udp-receive-buffer 1048576;
  notify no;
  dnssec-validation no;
};
controls { };
zone "$ZONE" { type primary; file "$WORK/$ZONE.zone"; };
EOF
cat >"$WORK/nsd.conf" <<EOF
server:
  ip-address: ${NSD%:*}@${NSD#*:}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$WORK/nsd"
  database: ""
  zonelistfile: "$WORK/nsd/zone.list"
  xfrdfile: "$WORK/nsd/xfrd.state"
  xfrdir: "$WORK/nsd"
  pidfile: "$WORK/nsd/nsd.pid"
  logfile: "$WORK/nsd/nsd.log"
  minimal-responses: yes
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: "$WORK/$ZONE.zone"
EOF

log "starting BIND ($(named -v)) on $BIND and NSD ($(nsd -v 2>&1 | head -1)) on $NSD, pinned to core $SERVER_CPU"
taskset -c "$SERVER_CPU" named -g -n 1 -c "$WORK/named.conf" >"$RESULTS/named.log" 2>&1 &
BIND_PID=$!
PIDS+=("$BIND_PID")
taskset -c "$SERVER_CPU" nsd -d -c "$WORK/nsd.conf" >"$RESULTS/nsd.log" 2>&1 &
NSD_PID=$!
PIDS+=("$NSD_PID")

# Every server must give the same answer (records, flags) to the clients' query
# (recursion desired) before anything is measured.
answer() { ask "$1" "host7.$ZONE" A +rec +noall +answer +comments | grep -E '^host7|^;; flags:' | sed 's/;; flags: \([a-z ]*\);.*/\1/'; }
want=$(answer "$GH")
[[ -n $want ]] || die "gatehouse does not answer host7.$ZONE"
for ip in "$BIND" "$NSD"; do
	for _ in $(seq 40); do
		[[ $(answer "$ip") == "$want" ]] && break
		sleep 0.25
	done
	[[ $(answer "$ip") == "$want" ]] || die "$ip answers differently: $(answer "$ip") (gatehouse: $want)"
done
{
	echo "answer to host7.$ZONE A (every server): $want"
	for ip in "$GH" "$BIND" "$NSD"; do
		echo "$ip: $(ask "$ip" "host7.$ZONE" A | grep 'MSG SIZE')"
	done
} | tee "$RESULTS/answers.txt" >&2

# ---- measurement -----------------------------------------------------------------
for i in $(seq 0 $((NAMES - 1))); do echo "host$i.$ZONE A"; done | shuf >"$WORK/queries.txt"
CLK_TCK=$(getconf CLK_TCK)
descendants() { # pid → it and every process below it (NSD: xfrd → main → server)
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do descendants "$c"; done
}
cpu_ticks() { # pid and its descendants → utime+stime, clock ticks
	local sum=0 p t
	for p in $(descendants "$1"); do
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}
core_busy() { # cpu → busy and total ticks of that core (softirq, ksoftirqd and all)
	awk -v c="cpu$1" '$1 == c { b = $2 + $3 + $4 + $7 + $8; print b, b + $5 + $6 }' /proc/stat
}
busy_pct() { awk -v b=$(($3 - $1)) -v t=$(($4 - $2)) 'BEGIN { printf "%.0f", (t > 0) ? b * 100 / t : 0 }'; }

TSV=$RESULTS/results.tsv
printf 'server\tclient\tround\tqps\tlost_pct\tcpu_us_per_query\tserver_cpu_pct\tcore_busy_pct\tclient_core_busy_pct\tnoerror_pct\n' >"$TSV"
run_one() { # name ip pid client round
	local name=$1 ip=$2 pid=$3 client=$4 round=$5 raw="$RESULTS/raw/$1.$4.r$5.txt"
	local perf=(taskset -c "$CLIENT_CPU" dnsperf -T 1)
	[[ $client == dnsload ]] && perf=(taskset -c "$CLIENT_CPU" "$DNSLOAD_BIN")
	perf+=(-s "${ip%:*}" -p "${ip#*:}" -d "$WORK/queries.txt" -c "$CLIENTS" -q "$OUTSTANDING" -t "$TIMEOUT")
	"${perf[@]}" -l "$WARMUP" >"${raw%.txt}.warmup.txt" 2>&1 || true
	local c0 c1 s0 s1 k0 k1
	c0=$(cpu_ticks "$pid")
	s0=$(core_busy "$SERVER_CPU")
	k0=$(core_busy "$CLIENT_CPU")
	"${perf[@]}" -l "$DURATION" >"$raw" 2>&1 || log "$client failed for $name (see $raw)"
	k1=$(core_busy "$CLIENT_CPU")
	s1=$(core_busy "$SERVER_CPU")
	c1=$(cpu_ticks "$pid")
	local qps lost done_ cpu own core kcore noerror
	qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$raw")
	lost=$(awk '/Queries lost:/ {gsub(/[()%]/, "", $4); print $4}' "$raw")
	done_=$(awk '/Queries completed:/ {print $3}' "$raw")
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${done_:-0}" 'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / hz / n; else print "-" }')
	own=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$DURATION" 'BEGIN { printf "%.0f", d * 100 / hz / s }')
	# shellcheck disable=SC2086 # two numbers each
	core=$(busy_pct $s0 $s1)
	# shellcheck disable=SC2086
	kcore=$(busy_pct $k0 $k1)
	# Every query of the file has an answer: anything but NOERROR is a broken server.
	noerror=$(awk '/Response codes:/ { for (i = 3; i + 2 <= NF; i += 3) if ($i == "NOERROR") { gsub(/[()%]/, "", $(i + 2)); p = $(i + 2) } } END { print p + 0 }' "$raw")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$client" "$round" "${qps:-0}" "${lost:-?}" "$cpu" "$own" "$core" "$kcore" "$noerror" >>"$TSV"
	log "$(printf '%-9s %-7s r%s %8s qps  lost %s%%  NOERROR %s%%  %s µs CPU/query  server %s%% of its core (core busy %s%%, client core %s%%)' "$name" "$client" "$round" "${qps:-0}" "${lost:-?}" "$noerror" "$cpu" "$own" "$core" "$kcore")"
}

SERVERS=("gatehouse $GH $GH_PID" "bind $BIND $BIND_PID" "nsd $NSD $NSD_PID")
for client in $LOADERS; do
	for round in $(seq "$ROUNDS"); do
		order=("${SERVERS[@]}")
		if ((round % 2 == 0)); then order=("${SERVERS[2]}" "${SERVERS[1]}" "${SERVERS[0]}"); fi
		for s in "${order[@]}"; do
			# shellcheck disable=SC2086 # three fields
			run_one $s "$client" "$round"
		done
		for p in "$GH_PID" "$BIND_PID" "$NSD_PID"; do
			kill -0 "$p" 2>/dev/null || die "server $p died during round $round"
		done
	done
done

# ---- report --------------------------------------------------------------------------
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { # server client column [round] → the column's values, one per round (or that round's)
	awk -F'\t' -v s="$1" -v cl="$2" -v c="$3" -v r="${4:-}" 'NR > 1 && $1 == s && $2 == cl && (r == "" || $3 == r) { print $c }' "$TSV"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
rounds() { # server peer client → the qps ratio of each round
	local r
	for r in $(seq "$ROUNDS"); do printf ' %s' "$(ratio "$(col "$1" "$3" 4 "$r")" "$(col "$2" "$3" 4 "$r")")"; done
}
{
	echo
	echo "gatehouse dns bench: -c $CLIENTS -q $OUTSTANDING on core $CLIENT_CPU, servers on core $SERVER_CPU, ${DURATION}s runs, $NAMES names, median of $ROUNDS round(s), $(date -u +%FT%TZ)"
	for client in $LOADERS; do
		echo
		echo "client $client"
		printf '%-10s %8s %8s %8s %9s %7s %9s %9s %9s %7s %8s  %s\n' server "qps" min max "µs CPU/q" "qps/cpu" "core use" "core busy" "client" "lost %" "NOERROR" "qps per round"
		ghbusy=0 peersbusy=1 broken=""
		for s in gatehouse bind nsd; do
			cpu=$(col $s "$client" 6 | med)
			busy=$(col $s "$client" 8 | med)
			if awk -v u="$busy" 'BEGIN { exit !(u >= 90) }'; then
				[[ $s == gatehouse ]] && ghbusy=1
			else
				[[ $s == gatehouse ]] || peersbusy=0
			fi
			awk -v p="$(col $s "$client" 10 | sort -n | head -1)" 'BEGIN { exit !(p < 100) }' && broken+=" $s"
			printf '%-10s %8.0f %8s %8s %9s %7.0f %8s%% %8s%% %8s%% %7s %7s%%  %s\n' "$s" "$(col $s "$client" 4 | med)" "$(col $s "$client" 4 | sort -n | head -1)" "$(col $s "$client" 4 | sort -n | tail -1)" \
				"$cpu" "$(awk -v c="$cpu" 'BEGIN { print (c > 0) ? 1e6 / c : 0 }')" "$(col $s "$client" 7 | med)" "$busy" "$(col $s "$client" 9 | med)" \
				"$(col $s "$client" 5 | med)" "$(col $s "$client" 10 | sort -n | head -1)" "$(col $s "$client" 4 | tr '\n' ' ')"
		done
		gh=$(col gatehouse "$client" 4 | med)
		echo "qps, gatehouse / BIND: $(ratio "$gh" "$(col bind "$client" 4 | med)") (rounds$(rounds gatehouse bind "$client"))   gatehouse / NSD: $(ratio "$gh" "$(col nsd "$client" 4 | med)") (rounds$(rounds gatehouse nsd "$client"))"
		echo "qps per CPU second, gatehouse / BIND: $(ratio "$(col bind "$client" 6 | med)" "$(col gatehouse "$client" 6 | med)")   gatehouse / NSD: $(ratio "$(col nsd "$client" 6 | med)" "$(col gatehouse "$client" 6 | med)")"
		if ((peersbusy && ghbusy)); then
			echo "every server's core was at least 90 % busy: each was its own limit, qps is its qps on one core"
		elif ((peersbusy)); then
			echo "BIND's and NSD's cores were at least 90 % busy, gatehouse's not: the client was gatehouse's limit,"
			echo "so its qps and the ratios are lower bounds"
		else
			echo "a peer's core was less than 90 % busy: the client (or the box) was its limit, not the server;"
			echo "the ratios compare the client's speed against each, not the servers"
		fi
		[[ -z $broken ]] || echo "WARNING: answers other than NOERROR from$broken: that server's qps is not comparable"
	done
	echo
	echo "core use = the server's CPU time / run time; core busy = its core's busy time (every process,"
	echo "softirq included) / run time; client = the client's core, busy; NOERROR = the lowest share of"
	echo "answers with NOERROR over the rounds. Every run: $TSV."
	cat "$RESULTS/answers.txt"
	echo "Raw client output: $RESULTS/raw"
} | tee "$RESULTS/table.txt"
