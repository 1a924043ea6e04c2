#!/usr/bin/env bash
# bench/all.sh: every comparison of issue 11 against real peers, one table of ratios.
#
# Groups (GROUPS_TO_RUN, in this order; each starts its own processes and stops
# them before the next one starts):
#   chain   HTTPS keep-alive through a static IP to the MOCK 200 (wrk -t1 -c32):
#           gatehouse (hand-off on, and off when the binary has --handoff) against
#           HAProxy mode tcp → HAProxy TLS → nginx TLS `return 200`
#   first   the first request on a new TLS connection from Python's http.client with
#           Nagle on: gatehouse's chain against nginx TLS (same processes as chain)
#   l7      one L7 hop, HTTP keep-alive to an nginx backend answering 1 KB, every proxy
#           pinned to one core: gatehouse's ALB against nginx, HAProxy and Caddy, and
#           against Go's floor on this machine (bench/cmd/floorproxy: the least a Go
#           proxy does per request)
#   hung    a target stopped (SIGSTOP) and then one killed under load, 3 targets:
#           gatehouse's ALB against HAProxy (retries 3, redispatch)
#   dns     bench/dns.sh: gatehouse against BIND and NSD, one core
#   deploy  create-deployment → served, p50/p99, with 35 APIs × 290 resources stored
#           (bench/cmd/deployserved); no peer: AWS takes seconds
# Every pair runs side by side, A B A B; the table gives gatehouse/peer ratios from
# this run next to issue 11's "Done when". See bench/README.md.
#
#   sudo bench/all.sh                      # ~12 minutes
#   sudo QUICK=1 bench/all.sh              # ~3-4 minutes, one round, short runs
#   sudo GROUPS_TO_RUN="l7 hung" bench/all.sh
#
# Needs root (port 443, taskset, BIND/NSD) and installs what is missing from Debian:
# wrk, haproxy, nginx, caddy, dnsperf, bind9, nsd. Refuses to start when an address
# it needs is taken; stops everything it started on exit (trap).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# ---- knobs ----------------------------------------------------------------
QUICK=${QUICK:-0}
GROUPS_TO_RUN=${GROUPS_TO_RUN:-"chain first l7 hung dns deploy"}
if ((QUICK)); then
	ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} FIRST_SAMPLES=${FIRST_SAMPLES:-40}
	HUNG_ROUNDS=${HUNG_ROUNDS:-1} HUNG_DURATION=${HUNG_DURATION:-8} DNS_ROUNDS=${DNS_ROUNDS:-1} DNS_DURATION=${DNS_DURATION:-5}
	DEPLOY_APIS=${DEPLOY_APIS:-5} DEPLOYS=${DEPLOYS:-30}
else
	ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10} WARMUP=${WARMUP:-1} FIRST_SAMPLES=${FIRST_SAMPLES:-150}
	HUNG_ROUNDS=${HUNG_ROUNDS:-2} HUNG_DURATION=${HUNG_DURATION:-12} DNS_ROUNDS=${DNS_ROUNDS:-2} DNS_DURATION=${DNS_DURATION:-8}
	DEPLOY_APIS=${DEPLOY_APIS:-35} DEPLOYS=${DEPLOYS:-100}
fi
DEPLOY_RESOURCES=${DEPLOY_RESOURCES:-290}
CONNS=${CONNS:-32}                 # wrk -c (wrk -t1 everywhere, as in the issue)
HUNG_CONNS=${HUNG_CONNS:-16}       # wrk -c of the hung/killed runs
EVENT_AT=${EVENT_AT:-3}            # seconds into a hung/killed run the target is stopped/killed
PROXY_CPU=${PROXY_CPU:-1}          # l7: the core every proxy is pinned to
CLIENT_CPU=${CLIENT_CPU:-0}        # l7: wrk and the nginx backend
NET=${NET:-127.66}                 # peers on $NET.0.x; --vpc-cidr $NET.0.0/16 puts targets in $NET.1.x
HOST=api.example.test
STACK=${STACK:-}
GATEHOUSE_BIN=${GATEHOUSE_BIN:-}   # prebuilt binary; empty: go build
RESULTS=${RESULTS:-/tmp/gatehouse-bench-results/all-$(date +%Y%m%d-%H%M%S)}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${STACK:-$REPO/examples/static-ip-api.yaml}
MARK=gatehouse-bench-all.           # every work dir's name starts with this; leftovers are found by it
PIDFILE=/tmp/gatehouse-bench-all.pids
DNS1=127.0.0.1:15353 DNS2=127.0.0.1:15354 AWS=127.0.0.1:15366
OFF_PLAN=(--vpc-cidr "$NET.0.0/16" --static-ip-pools "$NET.11.0/24,$NET.12.0/24")

log() { printf '[all %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
has() { [[ " $GROUPS_TO_RUN " == *" $1 "* ]]; }

[[ $(id -u) == 0 ]] || die "run as root: gatehouse binds port 443, BIND and NSD start as root"
(($(nproc) >= 2)) || die "needs two cores (l7 and dns pin the server to one, the client to the other)"

# ---- leftovers of a run that died without its trap (SIGKILL) ----------------
# Its first line is the pid of the run that wrote it: a run still going is not a leftover.
if [[ -f $PIDFILE ]]; then
	owner=$(head -n 1 "$PIDFILE")
	if [[ -n $owner && $owner != "$$" ]] && tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -q 'all\.sh'; then
		die "another bench/all.sh is running (pid $owner)"
	fi
	tail -n +2 "$PIDFILE" | while read -r pid; do
		[[ -r /proc/$pid/cmdline ]] || continue
		if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$MARK"; then
			log "stopping leftover $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80)"
			kill "$pid" 2>/dev/null || true
		fi
	done
	sleep 1
	rm -f "$PIDFILE"
fi

# ---- tools -----------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
if has chain || has first || has l7 || has hung; then
	command -v haproxy >/dev/null || need+=(haproxy)
	command -v nginx >/dev/null || need+=(nginx)
fi
has l7 && { command -v caddy >/dev/null || need+=(caddy); }
if has dns; then
	command -v dnsperf >/dev/null || need+=(dnsperf)
	command -v named >/dev/null || need+=(bind9)
	command -v nsd >/dev/null || need+=(nsd)
	command -v dig >/dev/null || need+=(bind9-dnsutils)
fi
if ((${#need[@]})); then
	if ! apt-cache policy "${need[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		log "apt-get update (no candidate for ${need[*]})"
		apt-get update -qq
	fi
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
fi
command -v python3 >/dev/null || die "python3 missing"
command -v openssl >/dev/null || die "openssl missing"
command -v go >/dev/null || [[ -n $GATEHOUSE_BIN ]] || die "go missing (or set GATEHOUSE_BIN)"

# ---- the addresses must be free --------------------------------------------------
# gatehouse's default plan (static IPs 127.77.1-2.x, VPC 127.31.0.0/16), the peers'
# and the second plan's 127.66.x, and the ports on 127.0.0.1 (TCP and UDP).
busy=$(ss -Hln -tu | awk -v p1="$DNS1" -v p2="$DNS2" -v p3="$AWS" -v net="$NET." '
	$5 ~ /^127\.77\.[12]\.[0-9]+:/ || $5 ~ /^127\.31\./ || index($5, net) == 1 ||
	$5 == p1 || $5 == p2 || $5 == p3 || $5 ~ /^127\.0\.0\.1:1533[123]$/ { print $5 }' | sort -u)
[[ -z $busy ]] || die "addresses in use (another bench or gatehouse, e.g. e2e tests?): $(echo $busy)"
xdp=$(loopback_xdp)
[[ -z $xdp ]] || die "$xdp"

# ---- work dir, cleanup ------------------------------------------------------
WORK=$(mktemp -d "/tmp/${MARK}XXXXXX")
SHM=$(mktemp -d "/dev/shm/${MARK}XXXXXX") # deploy's store: tmpfs, so the load is not 50,000 fsyncs
mkdir -p "$RESULTS/raw"
PIDS=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pids
	rm -f "$PIDFILE"
	rm -rf "$WORK" "$SHM"
	log "stopped everything; results in $RESULTS"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "$$" >"$PIDFILE"
started() { PIDS+=("$1"); echo "$1" >>"$PIDFILE"; }
stop_group() { stop_pids; PIDS=(); echo "$$" >"$PIDFILE"; }

# ---- binaries ----------------------------------------------------------------------
if [[ -z $GATEHOUSE_BIN ]]; then
	log "building gatehouse"
	(cd "$REPO" && go build -o "$WORK/gatehouse" ./cmd/gatehouse)
	GATEHOUSE_BIN=$WORK/gatehouse
fi
if has deploy; then
	(cd "$REPO" && go build -o "$WORK/deployserved" ./bench/cmd/deployserved)
fi
if has l7; then
	(cd "$REPO" && go build -o "$WORK/floorproxy" ./bench/cmd/floorproxy)
fi
if has dns; then
	(cd "$REPO" && go build -o "$WORK/dnsload" ./bench/cmd/dnsload)
fi
"$GATEHOUSE_BIN" version >"$RESULTS/version.txt" 2>&1 || true
# The "hand-off off" instance runs with OFF_ARGS; HANDOFF=1 forces it (e.g. with
# OFF_ARGS=--log-level=info to try the two-instance setup on a binary without the flag).
OFF_ARGS=${OFF_ARGS:---handoff=false}
HANDOFF=${HANDOFF:-0}
# (not "| grep -q": with pipefail, grep quitting early can fail the pipeline)
grep -q -- '--handoff' <<<"$("$GATEHOUSE_BIN" serve --help 2>&1)" && HANDOFF=1
((HANDOFF)) || log "note: this gatehouse has no --handoff flag: the 'hand-off off' row is skipped"

# Same key type as gatehouse's CA issues (ECDSA P-256), self-signed: wrk does not verify.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
	-keyout "$WORK/peer.key" -out "$WORK/peer.crt" 2>/dev/null
cat "$WORK/peer.crt" "$WORK/peer.key" >"$WORK/peer.pem"
printf 'x%.0s' $(seq 1024) >"$WORK/1k.txt" # the L7 backend's 1 KB body

# ---- helpers -------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
descendants() { # pid → it and every process below it (nginx: master and workers)
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do descendants "$c"; done
}
cpu_ticks() { # pids → utime+stime of them and their descendants, clock ticks
	local sum=0 p top line f
	for top in "$@"; do
		for p in $(descendants "$top"); do
			# Builtins only: on a loaded box a failed fork here would read as 0 ticks.
			{ read -r line <"/proc/$p/stat"; } 2>/dev/null || continue
			read -r -a f <<<"${line##*) }"
			# utime, stime and the reaped children's cutime, cstime (fields 14-17)
			sum=$((sum + f[11] + f[12] + f[13] + f[14]))
		done
	done
	echo "$sum"
}
to_ms() { # wrk duration (12.3us, 4.5ms, 1.2s) → milliseconds
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", n * f }'
}

# gh_start name stack [serve args...]: runs gatehouse (prefix it with GH_WRAP, e.g.
# taskset), waits until it applied the stack; sets GH_PID and GH_OUT.
# API Gateway's account throttle (10,000 rps, as AWS) would turn the chain's
# requests into cheap 429s past that rate: every gatehouse here runs with it
# raised, as an AWS account can have it raised.
GH_WRAP=()
GH_ARGS=()
gh_start() {
	local name=$1 stack=$2
	shift 2
	log "starting gatehouse ($name)"
	if [[ ${#GH_ARGS[@]} -eq 0 ]] && "$GATEHOUSE_BIN" serve --help 2>&1 | grep -q -- --account-throttle-rate; then
		GH_ARGS=(--account-throttle-rate 1000000000 --account-throttle-burst 1000000000)
	fi
	"${GH_WRAP[@]}" "$GATEHOUSE_BIN" serve --data-dir "$WORK/$name" "${GH_ARGS[@]}" "$@" -f "$stack" \
		>"$RESULTS/$name.out" 2>"$RESULTS/$name.log" &
	GH_PID=$!
	GH_OUT=$RESULTS/$name.out
	started "$GH_PID"
	for _ in $(seq 240); do
		grep -q '^gatehouse serving' "$GH_OUT" && return 0
		kill -0 "$GH_PID" 2>/dev/null || die "gatehouse ($name) exited: $(tail -n 3 "$RESULTS/$name.log" "$GH_OUT")"
		sleep 0.5
	done
	die "gatehouse ($name) did not apply its stack in 120s"
}
static_ip() { sed -n "s/^$HOST → //p" "$1" | cut -d, -f1; } # serve's "host → A, B" line
listeners() { ss -Htlnp | grep "pid=$1," | awk '{print $4}'; }

wait_200() { # url [curl args]: until it answers 200 (30 s)
	local code=""
	for _ in $(seq 120); do
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null || die "process $p ($(cat "/proc/$p/comm" 2>/dev/null)) exited; logs in $RESULTS"
		done
		code=$(curl -sk -o /dev/null -m 2 -w '%{http_code}' -H "Host: $HOST" "${@:2}" "$1" || true)
		[[ $code == 200 ]] && return 0
		sleep 0.25
	done
	die "$1 does not answer 200 (last: $code)"
}

TSV=$RESULTS/results.tsv # every wrk run
printf 'scenario\tround\trps\tp99_ms\trequests\terrors\tcpu_us_per_req\n' >"$TSV"
WRK_WRAP=()
# wrk_run name round url pids...: one warm-up and one measured wrk -t1 run; CPU of
# the pids (and their children) over the measured run, per request.
wrk_run() {
	local name=$1 round=$2 url=$3
	shift 3
	local raw="$RESULTS/raw/$name.r$round.txt" args=(-t1 -c"$CONNS" --latency -H "Host: $HOST")
	"${WRK_WRAP[@]}" wrk "${args[@]}" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
	local c0 c1
	c0=$(cpu_ticks "$@")
	"${WRK_WRAP[@]}" wrk "${args[@]}" -d"${DURATION}s" "$url" >"$raw" 2>&1 || log "wrk failed for $name (see $raw)"
	c1=$(cpu_ticks "$@")
	local p
	for p in "$@"; do
		if ! kill -0 "$p" 2>/dev/null; then
			DIED=$name
			log "error: process $p died during $name; its log is in $RESULTS"
			return 1
		fi
	done
	echo "CPU ticks of $(for p in "$@"; do descendants "$p"; done | tr '\n' ' '): $c0 before, $c1 after" >>"$raw"
	local rps p99 reqs err cpu
	rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$raw")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")
	reqs=$(awk '/ requests in / {print $1}' "$raw")
	err=$(awk -F'[ ,]+' '/Socket errors:/ {s += $4 + $6 + $8 + $10} /Non-2xx or 3xx responses:/ {s += $NF} END {print s + 0}' "$raw")
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-" }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "${rps:-0}" "$p99" "${reqs:-0}" "$err" "$cpu" >>"$TSV"
	log "$(printf '%-26s r%s %8s req/s  p99 %8s ms  cpu %7s µs/req  errors %s' "$name" "$round" "${rps:-0}" "$p99" "$cpu" "$err")"
}
# ab_rounds spec...: every spec ("name|url|pids") once per round, even rounds reversed.
ab_rounds() {
	local round s specs rev i name url pids
	for round in $(seq "$ROUNDS"); do
		specs=("$@")
		if ((round % 2 == 0)); then
			rev=()
			for ((i = ${#specs[@]} - 1; i >= 0; i--)); do rev+=("${specs[$i]}"); done
			specs=("${rev[@]}")
		fi
		for s in "${specs[@]}"; do
			IFS='|' read -r name url pids <<<"$s"
			# shellcheck disable=SC2086 # pids is a list
			wrk_run "$name" "$round" "$url" $pids || return 1
		done
	done
}
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s { print $c }' "$TSV" | med; } # median of a column over the rounds
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }

HUNG_TSV="" DIED=""
RATIOS=$RESULTS/ratios.tsv # measure, gatehouse, peer, ratio, done when: the final table
: >"$RATIOS"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RATIOS"; }
# wrk_rows measure-prefix gatehouse-scenario peer-scenario want-rps [want-cpu]
wrk_rows() {
	local g=$2 p=$3
	row "$1 req/s, $g / $p" "$(col "$g" 3)" "$(col "$p" 3)" "$(ratio "$(col "$g" 3)" "$(col "$p" 3)")" "$4"
	row "$1 CPU µs/req, $g / $p" "$(col "$g" 7)" "$(col "$p" 7)" "$(ratio "$(col "$g" 7)" "$(col "$p" 7)")" "${5:-}"
}

# ---- chain and first: the whole chain against the peer chain -------------------------
chain_group() {
	log "== chain: gatehouse's whole chain against HAProxy tcp → HAProxy TLS → nginx TLS"
	GH_WRAP=()
	gh_start chain-on "$STACK" --dns-listen "$DNS1" --aws-listen ""
	local on_pid=$GH_PID on_ip off_pid="" off_ip=""
	on_ip=$(static_ip "$GH_OUT")
	[[ -n $on_ip ]] || die "no static IP for $HOST in serve's output"
	if ((HANDOFF)); then
		gh_start chain-off "$STACK" --dns-listen "$DNS2" --aws-listen "" $OFF_ARGS "${OFF_PLAN[@]}"
		off_pid=$GH_PID
		off_ip=$(static_ip "$GH_OUT")
	fi
	# The peer chain: HAProxy mode tcp (PROXY v2, as the accelerator hands the client
	# address on) → HAProxy TLS termination → nginx TLS `return 200`, keep-alive and
	# connection reuse at every hop, as many threads/workers as cores.
	cat >"$WORK/chain-tcp.cfg" <<-EOF
		global
		  maxconn 4096
		  nbthread $(nproc)
		defaults
		  timeout connect 10s
		  timeout client 60s
		  timeout server 60s
		frontend l4
		  mode tcp
		  bind $NET.0.1:443
		  default_backend tls
		backend tls
		  mode tcp
		  server t $NET.0.3:443 send-proxy-v2
	EOF
	cat >"$WORK/chain-tls.cfg" <<-EOF
		global
		  maxconn 4096
		  nbthread $(nproc)
		defaults
		  mode http
		  timeout connect 10s
		  timeout client 60s
		  timeout server 60s
		  timeout http-keep-alive 60s
		frontend tls
		  bind $NET.0.3:443 ssl crt $WORK/peer.pem accept-proxy
		  option forwardfor
		  default_backend origin
		backend origin
		  http-reuse always
		  server o $NET.0.2:443 ssl verify none
	EOF
	nginx_conf "$WORK/nginx-chain" "$(nproc)" "
		  server {
		    listen $NET.0.2:443 ssl;
		    ssl_certificate $WORK/peer.crt;
		    ssl_certificate_key $WORK/peer.key;
		    keepalive_requests 1000000;
		    location / { return 200; }
		  }"
	haproxy -db -f "$WORK/chain-tcp.cfg" >"$RESULTS/chain-haproxy-tcp.log" 2>&1 &
	local tcp_pid=$!
	started "$tcp_pid"
	haproxy -db -f "$WORK/chain-tls.cfg" >"$RESULTS/chain-haproxy-tls.log" 2>&1 &
	local tls_pid=$!
	started "$tls_pid"
	nginx -c "$WORK/nginx-chain/nginx.conf" -g 'daemon off;' >"$RESULTS/chain-nginx.log" 2>&1 &
	local ngx_pid=$!
	started "$ngx_pid"
	wait_200 "https://$on_ip/"
	[[ -n $off_ip ]] && wait_200 "https://$off_ip/"
	wait_200 "https://$NET.0.1/"
	log "chain paths answer 200: gatehouse $on_ip${off_ip:+ (off: $off_ip)}, peers $NET.0.1 → $NET.0.3 → $NET.0.2"

	if has chain; then
		local specs=("chain.gatehouse|https://$on_ip/|$on_pid")
		[[ -n $off_ip ]] && specs+=("chain.gatehouse-off|https://$off_ip/|$off_pid")
		specs+=("chain.peers|https://$NET.0.1/|$tcp_pid $tls_pid $ngx_pid")
		if ! ab_rounds "${specs[@]}"; then
			row "1 chain: a process died during $DIED, group stopped" "-" "-" "-" "see the logs"
			stop_group
			return 0
		fi
		wrk_rows "1 chain (hand-off on)" chain.gatehouse chain.peers "≥ 1.5"
		if [[ -n $off_ip ]]; then
			wrk_rows "1 chain (hand-off off)" chain.gatehouse-off chain.peers "≥ 0.37 (before)"
		fi
	fi
	if has first; then
		first_requests "$on_ip" "$off_ip" "$NET.0.2"
	fi
	stop_group
}

# first_requests gatehouse-ip gatehouse-off-ip nginx-ip: Python's http.client, a new TLS
# connection per sample, Nagle on (TCP_NODELAY off before the handshake) and off.
first_requests() {
	log "== first: the first request on a new TLS connection, Python http.client"
	cat >"$WORK/first.py" <<'EOF'
import http.client, socket, ssl, statistics, sys, time
host, samples = sys.argv[1], int(sys.argv[2])
targets = [t.split("=", 1) for t in sys.argv[3:]]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the peers' self-signed certificate; only timing matters

class Conn(http.client.HTTPSConnection):
    """http.client over TLS to a fixed IP, SNI and Host the API's name, Nagle as asked
    (http.client itself turns Nagle off; a client that does not is what is measured)."""
    def __init__(self, ip, nodelay):
        super().__init__(host, 443, context=ctx, timeout=10)
        self.ip, self.nodelay = ip, nodelay
    def connect(self):
        s = socket.create_connection((self.ip, 443), self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if self.nodelay else 0)
        self.sock = ctx.wrap_socket(s, server_hostname=host)

res = {}
for i in range(samples):
    order = targets if i % 2 == 0 else targets[::-1]  # A B, B A: no target always first
    for name, ip in order:
        for nodelay in (False, True):
            c = Conn(ip, nodelay)
            try:
                t0 = time.perf_counter()
                c.connect()
                t1 = time.perf_counter()
                c.request("GET", "/")
                r = c.getresponse()
                r.read()
                t2 = time.perf_counter()
            except OSError as e:
                sys.exit(f"{name} ({ip}), sample {i}, nodelay {nodelay}: {e!r}")
            finally:
                c.close()
            if r.status != 200:
                sys.exit(f"{name} ({ip}): got {r.status}, want 200")
            res.setdefault((name, nodelay), []).append(((t2 - t1) * 1e3, (t2 - t0) * 1e3))
for (name, nodelay), v in res.items():
    req = sorted(x[0] for x in v)
    tot = sorted(x[1] for x in v)
    print("RESULT %s %s %.3f %.3f %.3f" % (name, "nodelay" if nodelay else "nagle",
          statistics.median(req), req[int(len(req) * 0.9)], statistics.median(tot)))
EOF
	local args=("gatehouse=$1")
	[[ -n $2 ]] && args+=("gatehouse-off=$2")
	args+=("nginx=$3")
	python3 "$WORK/first.py" "$HOST" "$FIRST_SAMPLES" "${args[@]}" >"$RESULTS/first.txt" 2>&1 ||
		{ log "first.py failed: $(tail -2 "$RESULTS/first.txt")"; return 0; }
	r() { awk -v n="$1" -v m="$2" -v c="$3" '$1 == "RESULT" && $2 == n && $3 == m { print $c }' "$RESULTS/first.txt"; }
	log "$(grep RESULT "$RESULTS/first.txt" | tr '\n' ';')"
	row "3 first request ms, Nagle on, gatehouse / nginx TLS" "$(r gatehouse nagle 4)" "$(r nginx nagle 4)" "$(ratio "$(r gatehouse nagle 4)" "$(r nginx nagle 4)")" "≤ 1.5"
	[[ -n $2 ]] && row "3 first request ms, Nagle on, gatehouse-off / nginx TLS" "$(r gatehouse-off nagle 4)" "$(r nginx nagle 4)" "$(ratio "$(r gatehouse-off nagle 4)" "$(r nginx nagle 4)")" ""
	row "3 first request ms, TCP_NODELAY, gatehouse / nginx TLS" "$(r gatehouse nodelay 4)" "$(r nginx nodelay 4)" "$(ratio "$(r gatehouse nodelay 4)" "$(r nginx nodelay 4)")" ""
	row "3 connect+TLS+request ms, Nagle on" "$(r gatehouse nagle 6)" "$(r nginx nagle 6)" "$(ratio "$(r gatehouse nagle 6)" "$(r nginx nagle 6)")" ""
}

# ---- l7: one hop, every proxy on one core ----------------------------------------------
l7_group() {
	log "== l7: one HTTP hop to an nginx backend (1 KB), proxies pinned to core $PROXY_CPU"
	local backend=$NET.1.1
	nginx_conf "$WORK/nginx-be" 1 "
		  default_type text/plain;
		  server {
		    listen $backend:8080;
		    keepalive_requests 1000000;
		    location / { return 200 \"$(cat "$WORK/1k.txt")\"; }
		  }"
	nginx_conf "$WORK/nginx-px" 1 "
		  upstream backend { server $backend:8080; keepalive 64; }
		  server {
		    listen $NET.0.2:80;
		    keepalive_requests 1000000;
		    location / {
		      proxy_pass http://backend;
		      proxy_http_version 1.1;
		      proxy_set_header Connection \"\";
		      proxy_set_header Host \$host;
		      proxy_set_header X-Forwarded-For \$remote_addr;
		    }
		  }"
	cat >"$WORK/haproxy-px.cfg" <<-EOF
		global
		  maxconn 4096
		  nbthread 1
		defaults
		  mode http
		  timeout connect 10s
		  timeout client 60s
		  timeout server 60s
		  timeout http-keep-alive 60s
		frontend px
		  bind $NET.0.3:80
		  option forwardfor
		  default_backend backend
		backend backend
		  http-reuse always
		  server b $backend:8080
	EOF
	cat >"$WORK/Caddyfile" <<-EOF
		{
		  admin off
		  auto_https off
		}
		http://:80 {
		  bind $NET.0.4
		  reverse_proxy $backend:8080
		}
	EOF
	l7_stack "$WORK/l7.yaml" l7 "$backend"
	taskset -c "$CLIENT_CPU" nginx -c "$WORK/nginx-be/nginx.conf" -g 'daemon off;' >"$RESULTS/l7-backend.log" 2>&1 &
	started $!
	local pin=(taskset -c "$PROXY_CPU")
	GH_WRAP=(env GOMAXPROCS=1 "${pin[@]}")
	gh_start l7 "$WORK/l7.yaml" --dns-listen "$DNS1" --aws-listen "" "${OFF_PLAN[@]}"
	local gh_pid=$GH_PID node
	node=$(listeners "$gh_pid" | sed -n 's/:80$//p' | sort -V | head -1)
	[[ -n $node ]] || die "l7: no balancer listener on :80"
	"${pin[@]}" nginx -c "$WORK/nginx-px/nginx.conf" -g 'daemon off;' >"$RESULTS/l7-nginx.log" 2>&1 &
	local ngx_pid=$!
	started "$ngx_pid"
	"${pin[@]}" haproxy -db -f "$WORK/haproxy-px.cfg" >"$RESULTS/l7-haproxy.log" 2>&1 &
	local hap_pid=$!
	started "$hap_pid"
	GOMAXPROCS=1 "${pin[@]}" "$WORK/floorproxy" -listen "$NET.0.5:80" -target "$backend:8080" >"$RESULTS/l7-floor.log" 2>&1 &
	local floor_pid=$!
	started "$floor_pid"
	local specs=("l7.gatehouse|http://$node/|$gh_pid" "l7.nginx|http://$NET.0.2/|$ngx_pid" "l7.haproxy|http://$NET.0.3/|$hap_pid"
		"l7.gofloor|http://$NET.0.5/|$floor_pid")
	if command -v caddy >/dev/null; then
		XDG_DATA_HOME=$WORK/caddy XDG_CONFIG_HOME=$WORK/caddy GOMAXPROCS=1 "${pin[@]}" \
			caddy run --adapter caddyfile --config "$WORK/Caddyfile" >"$RESULTS/l7-caddy.log" 2>&1 &
		local caddy_pid=$!
		started "$caddy_pid"
		specs+=("l7.caddy|http://$NET.0.4/|$caddy_pid")
	fi
	local s
	for s in "${specs[@]}"; do wait_200 "$(cut -d'|' -f2 <<<"$s")"; done
	log "l7 paths answer 200: gatehouse $node, nginx $NET.0.2, haproxy $NET.0.3${caddy_pid:+, caddy $NET.0.4}, Go floor $NET.0.5 → $backend:8080"
	WRK_WRAP=(taskset -c "$CLIENT_CPU")
	if ! ab_rounds "${specs[@]}"; then
		row "2 l7: a process died during $DIED, group stopped" "-" "-" "-" "see the logs"
		WRK_WRAP=() GH_WRAP=()
		stop_group
		return 0
	fi
	WRK_WRAP=()
	wrk_rows "2 one L7 hop" l7.gatehouse l7.nginx "≥ 0.85" "≤ 1.2"
	wrk_rows "2 one L7 hop" l7.gatehouse l7.haproxy ""
	[[ -n ${caddy_pid:-} ]] && wrk_rows "2 one L7 hop" l7.gatehouse l7.caddy ""
	# Go's floor: how much of the gap to nginx any Go proxy pays on this machine.
	wrk_rows "2 one L7 hop" l7.gatehouse l7.gofloor ""
	wrk_rows "2 one L7 hop" l7.gofloor l7.nginx ""
	GH_WRAP=()
	stop_group
}

# ---- hung: a stopped, then a killed target behind each balancer --------------------------
# Three single-process nginx targets per balancer, each answering its own name.
HUNG_PIDS=()
start_target() { # index ip: (re)starts target index on ip:8080
	local dir=$WORK/target-$1
	nginx_conf "$dir" 1 "  server { listen $2:8080; keepalive_requests 1000000; location / { return 200 \"$2\\n\"; } }" "master_process off;"
	nginx -c "$dir/nginx.conf" -g 'daemon off;' >>"$RESULTS/hung-targets.log" 2>&1 &
	HUNG_PIDS[$1]=$!
	disown "$!" # killed on purpose: no "Killed" line from bash
	started "$!"
	for _ in $(seq 50); do curl -fs -o /dev/null "http://$2:8080/" && return 0; sleep 0.1; done
	die "target $2 did not start"
}
wait_rotation() { # url ip...: until every ip answers through url (60 s): all targets in rotation
	local seen
	for _ in $(seq 120); do
		seen=$(for _ in 1 2 3 4 5 6 7 8 9; do curl -s -m 2 "$1" || true; done | sort -u | tr '\n' ' ')
		local ok=1 ip
		for ip in "${@:2}"; do [[ " $seen " == *" $ip "* ]] || ok=0; done
		((ok)) && return 0
		sleep 0.5
	done
	die "not every target in rotation behind $1 after 60 s (seen: $seen)"
}
hung_group() {
	log "== hung: one of 3 targets stopped (SIGSTOP), then killed, under load"
	local gh_t=("$NET.1.1" "$NET.1.2" "$NET.1.3") hap_t=("$NET.0.21" "$NET.0.22" "$NET.0.23") i
	for i in 0 1 2; do start_target "$i" "${gh_t[$i]}"; start_target $((i + 3)) "${hap_t[$i]}"; done
	l7_stack "$WORK/hung.yaml" three "${gh_t[@]}"
	# HAProxy as the issue ran it: retries 3 and redispatch, health checks as the
	# target group's (every 5 s, 2 s timeout, 2 to fall or rise), 5 s server timeout.
	cat >"$WORK/haproxy-hung.cfg" <<-EOF
		global
		  maxconn 4096
		  nbthread $(nproc)
		defaults
		  mode http
		  retries 3
		  option redispatch
		  timeout connect 2s
		  timeout client 60s
		  timeout server 5s
		  timeout check 2s
		  timeout http-keep-alive 60s
		frontend hung
		  bind $NET.0.3:80
		  option forwardfor
		  default_backend three
		backend three
		  balance roundrobin
		  http-reuse always
		  server t0 ${hap_t[0]}:8080 check inter 5s fall 2 rise 2
		  server t1 ${hap_t[1]}:8080 check inter 5s fall 2 rise 2
		  server t2 ${hap_t[2]}:8080 check inter 5s fall 2 rise 2
	EOF
	gh_start hung "$WORK/hung.yaml" --dns-listen "$DNS1" --aws-listen "" "${OFF_PLAN[@]}"
	local node
	node=$(listeners "$GH_PID" | sed -n 's/:80$//p' | sort -V | head -1)
	[[ -n $node ]] || die "hung: no balancer listener on :80"
	haproxy -db -f "$WORK/haproxy-hung.cfg" >"$RESULTS/hung-haproxy.log" 2>&1 &
	started $!
	cat >"$WORK/count.lua" <<'EOF'
-- Counts non-2xx responses per thread and the times (ms since the epoch) of the
-- first and last one; socket errors come from wrk's summary.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } gh_timespec;
int clock_gettime(int clk, gh_timespec *tp);
]]
local ts = ffi.new("gh_timespec")
local function now_ms()
	ffi.C.clock_gettime(0, ts)
	return tonumber(ts.tv_sec) * 1000 + math.floor(tonumber(ts.tv_nsec) / 1000000)
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad, first, last = 0, 0, 0 end
function response(status, headers, body)
	if status < 200 or status >= 300 then
		local t = now_ms()
		bad = bad + 1
		if first == 0 then first = t end
		last = t
	end
end
function done(summary, latency, requests)
	local f, l = 0, 0
	for _, th in ipairs(threads) do
		local tf, tl = th:get("first"), th:get("last")
		if tf > 0 and (f == 0 or tf < f) then f = tf end
		if tl > l then l = tl end
	end
	local e = summary.errors
	io.write(string.format("RESULT requests=%d non2xx=%d sockerr=%d first_ms=%d last_ms=%d max_ms=%.0f\n",
		summary.requests, e.status, e.connect + e.read + e.write + e.timeout, f, l, latency.max / 1000))
end
EOF
	HUNG_TSV=$RESULTS/hung.tsv
	printf 'scenario\tround\trequests\tnon2xx\tsocket_errors\tlast_failure_s\tmax_latency_ms\n' >"$HUNG_TSV"
	hung_run() { # name round url target-index event(stop|kill) ips...
		local name=$1 round=$2 url=$3 idx=$4 ev=$5
		shift 5
		wait_rotation "$url" "$@"
		local raw=$RESULTS/raw/$name.r$round.txt pid=${HUNG_PIDS[$idx]}
		wrk -t1 -c"$HUNG_CONNS" -d"${HUNG_DURATION}s" --timeout 30s -s "$WORK/count.lua" "$url" >"$raw" 2>&1 &
		local wrk_pid=$!
		sleep "$EVENT_AT"
		if [[ $ev == stop ]]; then kill -STOP "$pid"; else kill -9 "$pid"; fi
		local ev_ms
		ev_ms=$(date +%s%3N)
		wait "$wrk_pid" || log "wrk failed for $name (see $raw)"
		local ip=${@:$((idx % 3 + 1)):1}
		if [[ $ev == stop ]]; then kill -CONT "$pid"; else start_target "$idx" "$ip"; fi
		local requests non2xx sockerr first last maxl
		read -r requests non2xx sockerr first last maxl < <(sed -n 's/^RESULT //p' "$raw" | sed 's/[a-z_0-9]*=//g')
		local lastf="-"
		((non2xx > 0)) && lastf=$(awk -v a="$last" -v b="$ev_ms" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "${requests:-0}" "${non2xx:-0}" "${sockerr:-0}" "$lastf" "${maxl:-}" >>"$HUNG_TSV"
		log "$(printf '%-22s r%s %7s requests  non-2xx %s  socket errors %s  last failure %s s after the %s  max latency %s ms' \
			"$name" "$round" "${requests:-0}" "${non2xx:-0}" "${sockerr:-0}" "$lastf" "$ev" "${maxl:-}")"
	}
	local round
	for round in $(seq "$HUNG_ROUNDS"); do
		# The same target index per balancer; A B, then B A.
		local a=("hung.gatehouse $round http://$node/ 1 stop ${gh_t[*]}" "hung.haproxy $round http://$NET.0.3/ 4 stop ${hap_t[*]}")
		local b=("killed.gatehouse $round http://$node/ 1 kill ${gh_t[*]}" "killed.haproxy $round http://$NET.0.3/ 4 kill ${hap_t[*]}")
		if ((round % 2 == 0)); then a=("${a[1]}" "${a[0]}"); b=("${b[1]}" "${b[0]}"); fi
		local s
		# shellcheck disable=SC2086 # each spec is a list of words
		for s in "${a[@]}" "${b[@]}"; do hung_run $s; done
	done
	hsum() { awk -F'\t' -v s="$1" -v c="$2" 'NR > 1 && $1 == s { n += $c } END { print n + 0 }' "$HUNG_TSV"; }
	hmax() { awk -F'\t' -v s="$1" 'NR > 1 && $1 == s && $6 != "-" && (m == "" || $6 > m) { m = $6 } END { print (m == "" ? "-" : m) }' "$HUNG_TSV"; }
	hworst() { awk -F'\t' -v s="$1" 'NR > 1 && $1 == s && $7 + 0 > m { m = $7 + 0 } END { print m + 0 }' "$HUNG_TSV"; }
	for ev in hung killed; do
		row "4 $ev target: failed requests (non-2xx + socket errors, all rounds)" \
			"$(($(hsum "$ev.gatehouse" 4) + $(hsum "$ev.gatehouse" 5)))" "$(($(hsum "$ev.haproxy" 4) + $(hsum "$ev.haproxy" 5)))" "" "0"
		row "4 $ev target: last non-2xx, s after the event (latest round)" "$(hmax "$ev.gatehouse")" "$(hmax "$ev.haproxy")" "" "< 1 s"
		row "4 $ev target: slowest response, ms (all rounds)" "$(hworst "$ev.gatehouse")" "$(hworst "$ev.haproxy")" "" ""
		row "4 $ev target: requests answered (all rounds)" "$(hsum "$ev.gatehouse" 3)" "$(hsum "$ev.haproxy" 3)" \
			"$(ratio "$(hsum "$ev.gatehouse" 3)" "$(hsum "$ev.haproxy" 3)")" ""
	done
	stop_group
}

# ---- dns: bench/dns.sh -------------------------------------------------------------------
dns_group() {
	log "== dns: bench/dns.sh (gatehouse, BIND, NSD on one core; dnsload, then dnsperf)"
	DURATION=$DNS_DURATION ROUNDS=$DNS_ROUNDS GATEHOUSE_BIN=$GATEHOUSE_BIN DNSLOAD_BIN=$WORK/dnsload RESULTS=$RESULTS/dns \
		"$REPO/bench/dns.sh" >"$RESULTS/dns.txt" 2>&1 || { log "bench/dns.sh failed: $(tail -n 3 "$RESULTS/dns.txt")"; return 0; }
	local d=$RESULTS/dns/results.tsv
	dcol() { awk -F'\t' -v s="$1" -v cl="$2" -v c="$3" 'NR > 1 && $1 == s && $2 == cl { print $c }' "$d" | med; }
	# dnsload loads BIND and NSD to their core's limit (busy ≥ 90 %; gatehouse's core may be
	# less busy, dnsload then its limit and the ratio a lower bound): the bar. dnsperf's core
	# is the limit of all three on this machine: parity, and the CPU each spends at its rate.
	row "5 DNS qps on one core (dnsload), gatehouse / BIND" "$(dcol gatehouse dnsload 4)" "$(dcol bind dnsload 4)" "$(ratio "$(dcol gatehouse dnsload 4)" "$(dcol bind dnsload 4)")" "≥ 1.0"
	row "5 DNS qps on one core (dnsload), gatehouse / NSD" "$(dcol gatehouse dnsload 4)" "$(dcol nsd dnsload 4)" "$(ratio "$(dcol gatehouse dnsload 4)" "$(dcol nsd dnsload 4)")" ""
	row "5 DNS server core busy % (dnsload), gatehouse / BIND" "$(dcol gatehouse dnsload 8)" "$(dcol bind dnsload 8)" "" "BIND ≥ 90"
	row "5 DNS answers NOERROR % (dnsload), gatehouse / BIND" "$(dcol gatehouse dnsload 10)" "$(dcol bind dnsload 10)" "" "100 each"
	row "5 DNS qps, dnsperf (its core the limit), gatehouse / BIND" "$(dcol gatehouse dnsperf 4)" "$(dcol bind dnsperf 4)" "$(ratio "$(dcol gatehouse dnsperf 4)" "$(dcol bind dnsperf 4)")" ""
	row "5 DNS CPU µs/query (dnsperf), gatehouse / BIND" "$(dcol gatehouse dnsperf 6)" "$(dcol bind dnsperf 6)" "$(ratio "$(dcol gatehouse dnsperf 6)" "$(dcol bind dnsperf 6)")" ""
}

# ---- deploy: create-deployment → served ----------------------------------------------------
deploy_group() {
	log "== deploy: create-deployment → served, then with $DEPLOY_APIS × $DEPLOY_RESOURCES resources stored"
	GH_WRAP=()
	gh_start deploy "$STACK" --data-dir "$SHM/deploy" --dns-listen "$DNS1" --aws-listen "$AWS" --log-level warn
	local ip
	ip=$(static_ip "$GH_OUT")
	wait_200 "https://$ip/"
	local ds=("$WORK/deployserved" -aws "$AWS" -addr "$ip:443" -host "$HOST" -deploys "$DEPLOYS")
	"${ds[@]}" -apis 0 >"$RESULTS/deploy-alone.txt" 2>&1 || log "deployserved failed: $(tail -2 "$RESULTS/deploy-alone.txt")"
	log "only the example's API: $(tail -1 "$RESULTS/deploy-alone.txt")"
	"${ds[@]}" -apis "$DEPLOY_APIS" -resources "$DEPLOY_RESOURCES" >"$RESULTS/deploy-loaded.txt" 2>&1 ||
		log "deployserved failed: $(tail -2 "$RESULTS/deploy-loaded.txt")"
	log "$(grep -h '^loaded' "$RESULTS/deploy-loaded.txt" || true); $(tail -1 "$RESULTS/deploy-loaded.txt")"
	dget() { sed -n "s/^RESULT .*$2=\([0-9.]*\).*/\1/p" "$1"; }
	local n
	n=$(sed -n 's/^RESULT .*resources=\([0-9]*\).*/\1/p' "$RESULTS/deploy-loaded.txt")
	row "6 deploy → served p99 ms, ${n:-?} resources stored (AWS: seconds)" "$(dget "$RESULTS/deploy-loaded.txt" p99_ms)" "" "" "≤ 10"
	row "6 deploy → served p50 ms, ${n:-?} resources stored" "$(dget "$RESULTS/deploy-loaded.txt" p50_ms)" "" "" ""
	row "6 deploy → served p99 ms, the example's API alone" "$(dget "$RESULTS/deploy-alone.txt" p99_ms)" "" "" ""
	stop_group
}

# ---- run -----------------------------------------------------------------------------------
BEGAN=$(date +%s)
if has chain || has first; then chain_group; fi
has l7 && l7_group
has hung && hung_group
has dns && dns_group
has deploy && deploy_group

# ---- report --------------------------------------------------------------------------------
{
	echo
	echo "gatehouse bench/all.sh, $(date -u +%FT%TZ), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)),"
	echo "QUICK=$QUICK, wrk -t1 -c$CONNS ${DURATION}s × $ROUNDS round(s), hand-off flag: $( ((HANDOFF)) && echo yes || echo 'no (off row skipped)'),"
	echo "groups: $GROUPS_TO_RUN, $(($(date +%s) - BEGAN)) s"
	printf '%-66s %10s %10s %7s  %s\n' measure gatehouse peer ratio "done when"
	awk -F'\t' '{ printf "%-66s %10s %10s %7s  %s\n", $1, $2, $3, $4, $5 }' "$RATIOS"
	echo
	echo "ratio = gatehouse / peer (req/s: above 1 is better; CPU, ms: below 1 is better); medians over"
	echo "the rounds. errors in wrk runs (must be 0): $(awk -F'\t' 'NR > 1 { n += $6 } END { print n + 0 }' "$TSV")"
	panics=$(grep -l -E '^(panic|fatal error):' "$RESULTS"/*.log "$RESULTS"/dns/*.log 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ') || true
	echo "gatehouse logs with a panic: ${panics:-none}"
	echo "every run: $TSV${HUNG_TSV:+, $RESULTS/hung.tsv}; raw output: $RESULTS/raw"
} | tee "$RESULTS/table.txt"
