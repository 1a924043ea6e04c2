#!/usr/bin/env bash
# bench/run.sh: gatehouse's data plane against HAProxy and nginx on loopback.
#
# Runs `gatehouse serve -f examples/static-ip-api.yaml`, puts the peers next to
# it (same certificate type, same targets, same machine), drives every scenario
# with wrk and prints requests/s, p99 latency, server CPU per request and the
# RATIO to the peer measured in the same run. Absolute numbers on a shared box
# are noise; the ratios are the result. See bench/README.md.
#
# Needs root (gatehouse listens on port 443 as AWS does) and installs wrk,
# haproxy and nginx from Debian when they are missing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# ---- knobs ----------------------------------------------------------------
THREADS=${THREADS:-2}              # wrk -t
CONNS=${CONNS:-32}                 # wrk -c
DURATION=${DURATION:-10s}          # wrk -d, keep-alive scenarios
CHURN_DURATION=${CHURN_DURATION:-5s} # wrk -d, new connection per request
WARMUP=${WARMUP:-1s}               # discarded wrk run before each measured run
ROUNDS=${ROUNDS:-3}                # rounds, order reversed every other round; medians reported
GROUPS_TO_RUN=${GROUPS_TO_RUN:-"l4 churn l7"} # add "wide" for the L7 pair at WIDE_CONNS connections, "dns" for bench/dns.sh
WIDE_CONNS=${WIDE_CONNS:-512}      # wrk -c of the "wide" group
CLEAN_MAX=${CLEAN_MAX:-25}         # rounds where other processes took more CPU (% of machine) are left out of the medians, if a cleaner round exists
DNS_PORT=${DNS_PORT:-15353}        # gatehouse's nameserver (not 1053: leave the default free)
PEER_NET=${PEER_NET:-127.66.0}     # peers listen on $PEER_NET.{1,2,3}:443, outside gatehouse's ranges
HOST=${HOST:-api.example.test}     # the API's host name in the stack
RESULTS=${RESULTS:-/tmp/gatehouse-bench-results/$(date +%Y%m%d-%H%M%S)}
GATEHOUSE_BIN=${GATEHOUSE_BIN:-}   # prebuilt binary; empty: go build

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${STACK:-$REPO/examples/static-ip-api.yaml}
MARK=/tmp/gatehouse-bench.         # every work dir starts with this; leftovers are found by it
PIDFILE=/tmp/gatehouse-bench.pids  # processes of the current/last run, for leftover cleanup

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: gatehouse binds port 443"

# ---- leftovers of an earlier run that died without its trap ----------------
if [[ -f $PIDFILE ]]; then
	while read -r pid; do
		[[ -r /proc/$pid/cmdline ]] || continue
		if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$MARK"; then
			log "killing leftover $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80)"
			kill "$pid" 2>/dev/null || true
		fi
	done <"$PIDFILE"
	sleep 1
	rm -f "$PIDFILE"
fi

# ---- tools -----------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx)
if ((${#need[@]})); then
	if apt-cache policy "${need[@]}" | grep -q 'Candidate: (none)' || ! apt-cache policy "${need[@]}" | grep -q Candidate; then
		log "apt-get update (no candidate for ${need[*]})"
		apt-get update -qq
	fi
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v openssl >/dev/null || die "openssl missing"

# ---- work dir, cleanup ------------------------------------------------------
WORK=$(mktemp -d "${MARK}XXXXXX")
mkdir -p "$RESULTS/raw"
PIDS=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pids
	rm -f "$PIDFILE"
	rm -rf "$WORK"
	log "stopped everything; results in $RESULTS"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started() { PIDS+=("$1"); echo "$1" >>"$PIDFILE"; }

# ---- the addresses must be free ----------------------------------------------
# gatehouse's embedded default: static IPs from 127.77.1.0/24 and 127.77.2.0/24,
# balancer nodes and endpoint interfaces from 127.31.0.0/16, all on :443.
busy=$(ss -Htln | awk -v net="$PEER_NET." -v dns=":$DNS_PORT" '
	$4 ~ /^127\.77\.[12]\.[0-9]+:443$/ || $4 ~ /^127\.31\.[0-9]+\.[0-9]+:443$/ ||
	index($4, net) == 1 || $4 ~ dns"$" { print $4 }')
[[ -z $busy ]] || die "addresses in use (another gatehouse, e.g. e2e tests?): $(echo $busy)"

# ---- gatehouse -----------------------------------------------------------------
if [[ -z $GATEHOUSE_BIN ]]; then
	log "building gatehouse"
	(cd "$REPO" && go build -o "$WORK/gatehouse" ./cmd/gatehouse)
	GATEHOUSE_BIN=$WORK/gatehouse
fi
"$GATEHOUSE_BIN" version >"$RESULTS/version.txt" 2>&1 || true
metrics_args=()
METRICS_ADDR=""
if "$GATEHOUSE_BIN" serve --help 2>&1 | grep -q -- --metrics-listen; then
	METRICS_ADDR=127.0.0.1:$((DNS_PORT + 1))
	metrics_args=(--metrics-listen "$METRICS_ADDR")
fi
log "starting gatehouse serve -f $(basename "$STACK")"
"$GATEHOUSE_BIN" serve --data-dir "$WORK/data" --dns-listen "127.0.0.1:$DNS_PORT" "${metrics_args[@]}" \
	-f "$STACK" >"$RESULTS/gatehouse.out" 2>"$RESULTS/gatehouse.log" &
GH_PID=$!
started "$GH_PID"
for _ in $(seq 120); do
	grep -q '^gatehouse serving' "$RESULTS/gatehouse.out" && break
	kill -0 "$GH_PID" 2>/dev/null || die "gatehouse exited: $(tail -3 "$RESULTS/gatehouse.log" "$RESULTS/gatehouse.out")"
	sleep 0.5
done
grep -q '^gatehouse serving' "$RESULTS/gatehouse.out" || die "gatehouse did not apply the stack in 60s"

# Address plan, read from gatehouse itself:
#   static IPs      the "api.example.test → A, B" line of serve's output
#   endpoint IPs    targets of the health checks ("target health … target=IP:443")
#   balancer nodes  gatehouse's other :443 listeners (ss -ltnp)
read -r -a STATIC_IPS <<<"$(sed -n "s/^$HOST → //p" "$RESULTS/gatehouse.out" | tr -d ',')"
((${#STATIC_IPS[@]})) || die "no static IPs for $HOST in serve's output"
log "waiting for the targets to turn healthy"
for _ in $(seq 120); do
	mapfile -t TARGETS < <(grep 'msg="target health"' "$RESULTS/gatehouse.log" | grep 'state=healthy' |
		sed -n 's/.* target=\([0-9.]*\):443 .*/\1/p' | sort -u)
	((${#TARGETS[@]} >= 2)) && break
	sleep 0.5
done
((${#TARGETS[@]})) || die "no healthy target in 60s"
mapfile -t GH_443 < <(ss -Htlnp | grep "pid=$GH_PID," | awk '{print $4}' | sed -n 's/:443$//p' | sort -u)
NODES=()
for a in "${GH_443[@]}"; do
	[[ " ${STATIC_IPS[*]} ${TARGETS[*]} " == *" $a "* ]] || NODES+=("$a")
done
((${#NODES[@]})) || die "no balancer node among gatehouse's listeners: ${GH_443[*]}"
STATIC_IP=${STATIC_IPS[0]}
NODE_IP=${NODES[0]}
HAP_TCP_IP=$PEER_NET.1
NGINX_IP=$PEER_NET.2
HAP_L7_IP=$PEER_NET.3
{
	echo "static IPs (accelerator):   ${STATIC_IPS[*]}   (benchmarked: $STATIC_IP)"
	echo "balancer nodes (ALB):       ${NODES[*]}   (direct runs: $NODE_IP)"
	echo "endpoint interfaces:        ${TARGETS[*]}"
	echo "haproxy mode tcp:           $HAP_TCP_IP:443 -> nodes, send-proxy-v2 from $STATIC_IP"
	echo "nginx TLS termination:      $NGINX_IP:443 -> endpoints over HTTPS"
	echo "haproxy TLS termination:    $HAP_L7_IP:443 -> endpoints over HTTPS"
} | tee "$RESULTS/addresses.txt" >&2

# ---- peers -----------------------------------------------------------------------
# Same key type as gatehouse's CA issues (ECDSA P-256), self-signed: wrk does not verify.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
	-keyout "$WORK/peer.key" -out "$WORK/peer.crt" 2>/dev/null
cat "$WORK/peer.crt" "$WORK/peer.key" >"$WORK/peer.pem"

# HAProxy in gatehouse's accelerator's place: L4, PROXY v2, dialing from the
# static IP, round robin over the balancer nodes. Threads = cores, like GOMAXPROCS.
nodes_tcp=""
for i in "${!NODES[@]}"; do
	nodes_tcp+="  server n$i ${NODES[$i]}:443 send-proxy-v2 source $STATIC_IP"$'\n'
done
cat >"$WORK/haproxy-tcp.cfg" <<EOF
global
  maxconn 4096
  nbthread $(nproc)
defaults
  timeout connect 10s
  timeout client 350s
  timeout server 350s
frontend l4
  mode tcp
  bind $HAP_TCP_IP:443
  default_backend nodes
backend nodes
  mode tcp
  balance roundrobin
$nodes_tcp
EOF

# HAProxy and nginx in the balancer's place: TLS termination, HTTP/1.1 with
# keep-alive to the endpoint interfaces over HTTPS (no SNI, no verification,
# the Host header passed through), X-Forwarded-For added.
targets_hap=""
targets_ngx=""
for i in "${!TARGETS[@]}"; do
	targets_hap+="  server e$i ${TARGETS[$i]}:443 ssl verify none"$'\n'
	targets_ngx+="    server ${TARGETS[$i]}:443;"$'\n'
done
cat >"$WORK/haproxy-l7.cfg" <<EOF
global
  maxconn 4096
  nbthread $(nproc)
defaults
  mode http
  timeout connect 10s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend l7
  bind $HAP_L7_IP:443 ssl crt $WORK/peer.pem
  option forwardfor
  default_backend endpoints
backend endpoints
  balance roundrobin
  http-reuse always
$targets_hap
EOF
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<EOF
worker_processes $(nproc);
error_log $WORK/nginx/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream endpoints {
$targets_ngx
    keepalive 64;
  }
  server {
    listen $NGINX_IP:443 ssl;
    ssl_certificate $WORK/peer.crt;
    ssl_certificate_key $WORK/peer.key;
    keepalive_requests 1000000;
    location / {
      proxy_pass https://endpoints;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Port 443;
      proxy_ssl_server_name off;
      proxy_ssl_session_reuse on;
    }
  }
}
EOF

log "starting haproxy (tcp), haproxy (http) and nginx"
haproxy -db -f "$WORK/haproxy-tcp.cfg" >"$RESULTS/haproxy-tcp.log" 2>&1 &
HAP_TCP_PID=$!
started "$HAP_TCP_PID"
haproxy -db -f "$WORK/haproxy-l7.cfg" >"$RESULTS/haproxy-l7.log" 2>&1 &
HAP_L7_PID=$!
started "$HAP_L7_PID"
nginx -c "$WORK/nginx.conf" -g 'daemon off;' >"$RESULTS/nginx.log" 2>&1 &
NGINX_PID=$!
started "$NGINX_PID"

wait_200() { # url: until it answers 200 through this path (15s)
	for _ in $(seq 60); do
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null || die "process $p exited; see the logs in $RESULTS"
		done
		code=$(curl -sk -o /dev/null -m 2 -w '%{http_code}' -H "Host: $HOST" "$1" || true)
		[[ $code == 200 ]] && return 0
		sleep 0.25
	done
	die "$1 does not answer 200 (last: $code)"
}
for u in "https://$STATIC_IP/" "https://$NODE_IP/" "https://$HAP_TCP_IP/" "https://$NGINX_IP/" "https://$HAP_L7_IP/"; do
	wait_200 "$u"
done
log "every path answers 200"

# ---- measurement -----------------------------------------------------------------
# scenario: name | group | url | extra wrk header | peer (the ratio's denominator) | pids charged for CPU
CLOSE='Connection: close'
SCENARIOS=(
	"l4.gatehouse-accelerator|l4|https://$STATIC_IP/||l4.haproxy-tcp|$GH_PID"
	"l4.haproxy-tcp|l4|https://$HAP_TCP_IP/|||$GH_PID $HAP_TCP_PID"
	"l4.direct-to-balancer|l4|https://$NODE_IP/|||$GH_PID"
	"churn.gatehouse-accelerator|churn|https://$STATIC_IP/|$CLOSE|churn.haproxy-tcp|$GH_PID"
	"churn.haproxy-tcp|churn|https://$HAP_TCP_IP/|$CLOSE||$GH_PID $HAP_TCP_PID"
	"churn.direct-to-balancer|churn|https://$NODE_IP/|$CLOSE||$GH_PID"
	"l7.gatehouse-balancer|l7|https://$NODE_IP/||l7.nginx|$GH_PID"
	"l7.nginx|l7|https://$NGINX_IP/|||$GH_PID NGINX"
	"l7.haproxy-http|l7|https://$HAP_L7_IP/|||$GH_PID $HAP_L7_PID"
	"wide.gatehouse-balancer|wide|https://$NODE_IP/||wide.nginx|$GH_PID"
	"wide.nginx|wide|https://$NGINX_IP/|||$GH_PID NGINX"
)
# Secondary ratios printed under the table: numerator denominator.
EXTRA_RATIOS=(
	"l4.gatehouse-accelerator l4.direct-to-balancer"
	"l4.haproxy-tcp l4.direct-to-balancer"
	"churn.gatehouse-accelerator churn.direct-to-balancer"
	"churn.haproxy-tcp churn.direct-to-balancer"
	"l7.gatehouse-balancer l7.haproxy-http"
	"wide.gatehouse-balancer l7.gatehouse-balancer"
	"wide.nginx l7.nginx"
)
CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() { # pids (NGINX: nginx's master and workers) → utime+stime, clock ticks
	local all=() p
	for p in "$@"; do
		if [[ $p == NGINX ]]; then
			all+=("$NGINX_PID")
			mapfile -t -O "${#all[@]}" all < <(pgrep -P "$NGINX_PID")
		else
			all+=("$p")
		fi
	done
	local sum=0
	for p in "${all[@]}"; do
		# fields after the ")" of comm: utime is the 12th, stime the 13th
		local t
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

tcp_counters() { # system-wide TCP counters: ActiveOpens EstabResets RetransSegs
	awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else print $col["ActiveOpens"], $col["EstabResets"], $col["RetransSegs"] }' /proc/net/snmp
}

machine_ticks() { # "busy idle": user+nice+system and idle+iowait of all CPUs, clock ticks
	awk '$1 == "cpu" { print $2 + $3 + $4, $5 + $6 }' /proc/stat
}
own_ticks() { # CPU of this script's reaped children (wrk), clock ticks
	sed 's/.*) //' /proc/$$/stat | awk '{print $14 + $15}'
}

to_ms() { # wrk duration (12.3us, 4.5ms, 1.2s, 1.0m) → milliseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : 1
		printf "%.3f", n * f }'
}

TSV=$RESULTS/results.tsv
printf 'scenario\tround\trps\tp99_ms\trequests\tsocket_errors\tnon_2xx\tcpu_us_per_req\topens_per_kreq\tresets_per_kreq\tretrans_per_kreq\tforeign_cpu_pct\n' >"$TSV"

run_one() { # spec round
	local name group url hdr peer pids
	IFS='|' read -r name group url hdr peer pids <<<"$1"
	local round=$2 raw="$RESULTS/raw/$name.r$2.txt" dur=$DURATION
	[[ $group == churn ]] && dur=$CHURN_DURATION
	local conns=$CONNS
	[[ $group == wide ]] && conns=$WIDE_CONNS
	local args=(-t"$THREADS" -c"$conns" --latency -H "Host: $HOST")
	[[ -n $hdr ]] && args+=(-H "$hdr")
	wrk "${args[@]}" -d"$WARMUP" "$url" >"$RESULTS/raw/$name.r$round.warmup.txt" 2>&1 || true
	local c0 c1 t0 t1 m0 m1 i0 i1
	# shellcheck disable=SC2086 # pids is a list
	c0=$(cpu_ticks $pids)
	local all0 all1 w0 w1
	all0=$(cpu_ticks "$GH_PID" "$HAP_TCP_PID" "$HAP_L7_PID" NGINX)
	w0=$(own_ticks)
	read -r m0 i0 <<<"$(machine_ticks)"
	t0=$(tcp_counters)
	wrk "${args[@]}" -d"$dur" "$url" >"$raw" 2>&1 || log "wrk failed for $name (see $raw)"
	t1=$(tcp_counters)
	read -r m1 i1 <<<"$(machine_ticks)"
	w1=$(own_ticks)
	all1=$(cpu_ticks "$GH_PID" "$HAP_TCP_PID" "$HAP_L7_PID" NGINX)
	# shellcheck disable=SC2086
	c1=$(cpu_ticks $pids)
	# CPU taken by processes outside the benchmark (neighbours), % of the machine.
	local foreign
	foreign=$(awk -v m=$((m1 - m0)) -v i=$((i1 - i0)) -v o=$((all1 - all0 + w1 - w0)) \
		'BEGIN { f = m - o; if (f < 0) f = 0; printf "%.0f", (m + i > 0) ? f * 100 / (m + i) : 0 }')
	local rps p99 reqs serr non2xx cpu
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")
	reqs=$(awk '/ requests in / {print $1}' "$raw")
	serr=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' "$raw")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$raw")
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-" }')
	local tcp
	tcp=$(awk -v a="$t0" -v b="$t1" -v n="${reqs:-0}" 'BEGIN { split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= 3; i++) printf "%s%s", (n > 0 ? sprintf("%.1f", (y[i] - x[i]) * 1000 / n) : "-"), (i < 3 ? "\t" : "") }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "${rps:-0}" "$p99" "${reqs:-0}" "${serr:-0}" "${non2xx:-0}" "$cpu" "$tcp" "$foreign" >>"$TSV"
	echo "CPU of processes outside the benchmark: $foreign% of the machine" >>"$raw"
	echo "TCP counters (system-wide) per 1000 requests: opens resets retrans = $tcp" >>"$raw"
	log "$(printf '%-28s r%s %10s req/s  p99 %8s ms  errors %s  non-2xx %s  foreign cpu %s%%' "$name" "$round" "${rps:-0}" "$p99" "${serr:-0}" "${non2xx:-0}" "$foreign")"
}

for round in $(seq "$ROUNDS"); do
	for group in $GROUPS_TO_RUN; do
		specs=()
		for s in "${SCENARIOS[@]}"; do
			[[ $(cut -d'|' -f2 <<<"$s") == "$group" ]] && specs+=("$s")
		done
		if ((round % 2 == 0)); then # reverse: cancel drift (thermal, neighbours)
			rev=()
			for ((i = ${#specs[@]} - 1; i >= 0; i--)); do rev+=("${specs[$i]}"); done
			specs=("${rev[@]}")
		fi
		for s in "${specs[@]}"; do run_one "$s" "$round"; done
	done
	kill -0 "$GH_PID" 2>/dev/null || die "gatehouse died during round $round (see $RESULTS/gatehouse.log)"
done

# ---- after the load: is gatehouse still well? --------------------------------------
for u in "https://$STATIC_IP/" "https://$NODE_IP/"; do
	code=$(curl -sk -o /dev/null -m 5 -w '%{http_code}' -H "Host: $HOST" "$u" || true)
	echo "after load: $u → $code" >>"$RESULTS/health.txt"
done
echo "gatehouse alive: $(kill -0 "$GH_PID" 2>/dev/null && echo yes || echo NO)" >>"$RESULTS/health.txt"
echo "gatehouse RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$GH_PID/status" 2>/dev/null)" >>"$RESULTS/health.txt"
echo "gatehouse log lines at WARN/ERROR: $(grep -cE 'level=(WARN|ERROR)' "$RESULTS/gatehouse.log" || true)" >>"$RESULTS/health.txt"
[[ -n $METRICS_ADDR ]] && curl -s -m 5 "http://$METRICS_ADDR/metrics" >"$RESULTS/metrics.txt" || true

# ---- report --------------------------------------------------------------------------
# Medians over rounds; ratio = gatehouse / peer of the same run.
SUMMARY=$RESULTS/summary.tsv
tail -n +2 "$TSV" | awk -F'\t' -v clean="$CLEAN_MAX" '
	{ n[$1]++; row[$1, n[$1]] = $0; if ($12 <= clean) c[$1]++ }
	function med(v, m,   i, j, t) {
		for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END { for (k in n) {
		m = 0; lo = ""; hi = 0; err = 0; non = 0; fmax = 0
		split("", r); split("", p); split("", u); split("", o); split("", x)
		for (i = 1; i <= n[k]; i++) {
			split(row[k, i], f, "\t"); err += f[6]; non += f[7]
			if (c[k] > 0 && f[12] > clean) continue # a neighbour took the CPU: use the clean rounds
			m++; r[m] = f[3]; p[m] = f[4]; u[m] = f[8]; o[m] = f[9]; x[m] = f[10]
			if (lo == "" || f[3] + 0 < lo) lo = f[3] + 0; if (f[3] + 0 > hi) hi = f[3] + 0; if (f[12] + 0 > fmax) fmax = f[12] + 0
		}
		md = med(r, m)
		printf "%s\t%.0f\t%.2f\t%.1f\t%d\t%d\t%.0f\t%.1f\t%.1f\t%d\t%d/%d\n", k, md, med(p, m), med(u, m), err, non,
			(md > 0 ? (hi - lo) * 100 / md : 0), med(o, m), med(x, m), fmax, m, n[k] } }
' >"$SUMMARY"

get() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k {print $c}' "$SUMMARY"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else print "-" }'; }
{
	echo
	echo "gatehouse bench: wrk -t$THREADS -c$CONNS, ${DURATION} keep-alive / ${CHURN_DURATION} churn, median of $ROUNDS round(s), $(nproc) cores, $(date -u +%FT%TZ)"
	printf '%-27s %7s %7s %8s %7s %13s %6s %5s %6s  %s\n' scenario "req/s" spread "p99 ms" "cpu µs" "opens/rst" errors nbr% rounds "gatehouse/peer: req/s, p99, cpu"
	for s in "${SCENARIOS[@]}"; do
		IFS='|' read -r name group _ _ peer _ <<<"$s"
		[[ " $GROUPS_TO_RUN " == *" $group "* ]] || continue
		r="" 
		if [[ -n $peer ]]; then
			r="/${peer#*.}: $(ratio "$(get "$name" 2)" "$(get "$peer" 2)"), $(ratio "$(get "$name" 3)" "$(get "$peer" 3)"), $(ratio "$(get "$name" 4)" "$(get "$peer" 4)")"
		fi
		printf '%-27s %7s %6s%% %8s %7s %13s %6s %5s %6s  %s\n' "$name" "$(get "$name" 2)" "$(get "$name" 7)" "$(get "$name" 3)" "$(get "$name" 4)" \
			"$(get "$name" 8)/$(get "$name" 9)" "$(($(get "$name" 5) + $(get "$name" 6)))" "$(get "$name" 10)" "$(get "$name" 11)" "$r"
	done
	echo
	for pair in "${EXTRA_RATIOS[@]}"; do
		read -r a b <<<"$pair"
		[[ -n $(get "$a" 2) && -n $(get "$b" 2) ]] || continue
		printf '%-55s req/s %s  p99 %s  cpu %s\n' "$a / $b:" "$(ratio "$(get "$a" 2)" "$(get "$b" 2)")" "$(ratio "$(get "$a" 3)" "$(get "$b" 3)")" "$(ratio "$(get "$a" 4)" "$(get "$b" 4)")"
	done
	echo
	echo "spread = (max-min)/median req/s over the rounds; cpu µs = server CPU (gatehouse + the"
	echo "scenario's peer) per request; opens/rst = new TCP connections / TCP resets per 1000"
	echo "requests (system-wide counters); errors = wrk socket errors + non-2xx, all rounds;"
	echo "nbr% = most CPU that processes outside the benchmark took in a counted round (% of the"
	echo "machine); rounds = rounds counted / run: rounds with nbr% > $CLEAN_MAX are left out when a"
	echo "cleaner round exists. Medians and spread are over the counted rounds."
	echo "Raw wrk output: $RESULTS/raw"
	cat "$RESULTS/health.txt"
} | tee "$RESULTS/table.txt"

# ---- DNS against BIND and NSD (GROUPS_TO_RUN with "dns"): bench/dns.sh, with its own
# servers, ports and cores, once everything above is stopped.
if [[ " $GROUPS_TO_RUN " == *" dns "* ]]; then
	stop_pids
	GATEHOUSE_BIN=$GATEHOUSE_BIN RESULTS=$RESULTS/dns "$REPO/bench/dns.sh" || log "bench/dns.sh failed"
fi
