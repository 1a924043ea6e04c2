#!/usr/bin/env bash
# bench/failover.sh: what a client sees when one of two targets dies.
#
# Starts two plain HTTP backends (python3's http.server, keep-alive) on 127.66.1.1 and
# 127.66.1.2, and `gatehouse serve` with a stack written here: one target
# group of those two (health check interval 5 s, thresholds 2) behind an ALB
# HTTPS listener on 443. wrk drives the balancer for DURATION; KILL_AT into the
# run the second backend is killed (SIGKILL). Reports non-2xx responses and
# socket errors over the run, when they happened relative to the kill, and
# when the health checks noticed. See the "Failover" section of bench/README.md.
#
# Needs root (port 443), wrk and python3; cleans up everything it started.
# Exits 0 once it has measured, whatever the numbers.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-20}      # seconds of wrk
KILL_AT=${KILL_AT:-5}         # seconds into the run the second backend dies
THREADS=${THREADS:-2}         # wrk -t
CONNS=${CONNS:-8}             # wrk -c
DNS_PORT=${DNS_PORT:-15363}   # gatehouse's nameserver (bench/run.sh uses 15353)
NET=${NET:-127.66}            # --vpc-cidr $NET.0.0/16: subnet a is $NET.1.0/24
BACKEND_PORT=${BACKEND_PORT:-8081}
HOST=api.example.test
GATEHOUSE_BIN=${GATEHOUSE_BIN:-} # prebuilt binary; empty: go build

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B1=$NET.1.1
B2=$NET.1.2

log() { printf '[failover %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }

[[ $(id -u) == 0 ]] || die "run as root: gatehouse binds port 443"
command -v wrk >/dev/null || die "wrk missing (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 missing"

busy=$(ss -Htln | awk -v net="$NET." -v dns=":$DNS_PORT" 'index($4, net) == 1 || $4 ~ dns"$" { print $4 }')
[[ -z $busy ]] || die "addresses in use (another bench or gatehouse?): $(echo $busy)"

WORK=$(mktemp -d /tmp/gatehouse-failover.XXXXXX)
PIDS=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pids
	if ((rc != 0)) && [[ -f $WORK/gatehouse.log ]]; then
		log "gatehouse log (last lines):"
		tail -5 "$WORK/gatehouse.log" >&2
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- backends --------------------------------------------------------------
mkdir -p "$WORK/www"
echo ok >"$WORK/www/index.html"
# python3's http.server, but HTTP/1.1 with keep-alive: the balancer then keeps
# pooled connections, as to a real server, instead of one TCP connection per
# request (which would exhaust the node IP's ephemeral ports in TIME_WAIT).
cat >"$WORK/backend.py" <<'EOF'
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    def log_message(self, *args): pass
handler = functools.partial(Handler, directory=sys.argv[3])
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
EOF
python3 "$WORK/backend.py" "$B1" "$BACKEND_PORT" "$WORK/www" >/dev/null 2>&1 &
PIDS+=("$!")
python3 "$WORK/backend.py" "$B2" "$BACKEND_PORT" "$WORK/www" >/dev/null 2>&1 &
PY2=$!
disown "$PY2" # killed on purpose below: no "Killed" line from bash
PIDS+=("$PY2")
for b in "$B1" "$B2"; do
	for _ in $(seq 50); do curl -fs -o /dev/null "http://$b:$BACKEND_PORT/" && break; sleep 0.1; done
	curl -fs -o /dev/null "http://$b:$BACKEND_PORT/" || die "backend $b did not start"
done

# ---- gatehouse -------------------------------------------------------------
cat >"$WORK/stack.yaml" <<EOF
region: us-west-2
zones:
  - name: example.test
certificates:
  - name: cert
    domain: $HOST
    validation: {zone: example.test}
securityGroups:
  - name: alb-sg
    description: HTTPS from anywhere
    ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]
targetGroups:
  - name: web
    protocol: HTTP
    port: $BACKEND_PORT
    targetType: ip
    targets: {ips: [$B1, $B2]}
    healthCheck: {protocol: HTTP, path: /, matcher: "200", intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2}
loadBalancers:
  - name: edge
    subnets: [a, b]
    securityGroups: [alb-sg]
    listeners:
      - {protocol: HTTPS, port: 443, certificate: cert, forward: web}
EOF
if [[ -z $GATEHOUSE_BIN ]]; then
	log "building gatehouse"
	(cd "$REPO" && go build -o "$WORK/gatehouse" ./cmd/gatehouse)
	GATEHOUSE_BIN=$WORK/gatehouse
fi
log "starting gatehouse serve"
"$GATEHOUSE_BIN" serve --data-dir "$WORK/data" --dns-listen "127.0.0.1:$DNS_PORT" --vpc-cidr "$NET.0.0/16" \
	-f "$WORK/stack.yaml" >"$WORK/gatehouse.out" 2>"$WORK/gatehouse.log" &
GH_PID=$!
PIDS+=("$GH_PID")
for _ in $(seq 120); do
	grep -q '^gatehouse serving' "$WORK/gatehouse.out" && break
	kill -0 "$GH_PID" 2>/dev/null || die "gatehouse exited: $(tail -3 "$WORK/gatehouse.log" "$WORK/gatehouse.out")"
	sleep 0.5
done
grep -q '^gatehouse serving' "$WORK/gatehouse.out" || die "gatehouse did not apply the stack in 60s"
log "waiting for both targets to turn healthy"
for _ in $(seq 120); do
	n=$(grep 'msg="target health"' "$WORK/gatehouse.log" | grep 'state=healthy' | grep -c "target=$NET.1.[12]:$BACKEND_PORT" || true)
	((n >= 2)) && break
	sleep 0.5
done
((n >= 2)) || die "targets not healthy in 60s"
NODE=$(ss -Htlnp | grep "pid=$GH_PID," | awk '{print $4}' | sed -n 's/:443$//p' | sort -V | head -1)
[[ -n $NODE ]] || die "no balancer listener on :443"
code=$(curl -sk -o /dev/null -w '%{http_code}' --resolve "$HOST:443:$NODE" "https://$HOST/")
[[ $code == 200 ]] || die "https://$HOST/ via $NODE answered $code, want 200"

# ---- the run -----------------------------------------------------------------
# Every wrk thread counts responses per second of the run and the time of its
# first and last non-2xx response (ms since the epoch, via LuaJIT's ffi).
cat >"$WORK/count.lua" <<'EOF'
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
local start = tonumber(os.getenv("START_MS"))
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
	ok, bad, first, last = {}, {}, 0, 0
end
function response(status, headers, body)
	local t = now_ms()
	local s = math.floor((t - start) / 1000)
	if status >= 200 and status < 300 then
		ok[s] = (ok[s] or 0) + 1
	else
		bad[s] = (bad[s] or 0) + 1
		if first == 0 then first = t end
		last = t
	end
end
function done(summary, latency, requests)
	local oks, bads, f, l = {}, {}, 0, 0
	for _, th in ipairs(threads) do
		for s, n in pairs(th:get("ok")) do oks[s] = (oks[s] or 0) + n end
		for s, n in pairs(th:get("bad")) do bads[s] = (bads[s] or 0) + n end
		local tf, tl = th:get("first"), th:get("last")
		if tf > 0 and (f == 0 or tf < f) then f = tf end
		if tl > l then l = tl end
	end
	local e = summary.errors
	io.write(string.format("RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d first_ms=%d last_ms=%d p99_ms=%.2f\n",
		summary.requests, e.status, e.connect, e.read, e.write, e.timeout, f, l, latency:percentile(99) / 1000))
	for s = 0, 120 do
		if oks[s] or bads[s] then
			io.write(string.format("SECOND %d %d %d\n", s, oks[s] or 0, bads[s] or 0))
		end
	end
end
EOF
log "wrk -t$THREADS -c$CONNS -d${DURATION}s https://$NODE/ (Host $HOST); killing $B2 at t=${KILL_AT}s"
START_MS=$(now_ms)
export START_MS
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 15s -s "$WORK/count.lua" -H "Host: $HOST" "https://$NODE/" >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep "$KILL_AT"
kill -9 "$PY2"
KILL_MS=$(now_ms)
wait "$WRK_PID" || die "wrk failed: $(cat "$WORK/wrk.out")"

# When the health checks declared the dead target unhealthy (gatehouse's log).
UNHEALTHY_MS=""
line=$(grep 'msg="target health"' "$WORK/gatehouse.log" | grep "target=$B2:$BACKEND_PORT" | grep 'state=unhealthy' | head -1 || true)
if [[ -n $line ]]; then
	stamp=$(sed -n 's/^time=\([^ ]*\) .*/\1/p' <<<"$line")
	UNHEALTHY_MS=$(date -d "$stamp" +%s%3N 2>/dev/null || true)
fi

# ---- report --------------------------------------------------------------------
read -r requests non2xx connect rd wr timeout first last p99 < <(sed -n 's/^RESULT //p' "$WORK/wrk.out" |
	sed 's/[a-z_0-9]*=//g')
[[ -n ${requests:-} ]] || die "no result from wrk: $(cat "$WORK/wrk.out")"
errors=$((non2xx + connect + rd + wr + timeout))
rel() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f s", (a - b) / 1000 }'; }
echo
echo "gatehouse failover: 2 targets, wrk -t$THREADS -c$CONNS ${DURATION}s against https://$NODE/, $B2 killed at t=$(rel "$KILL_MS" "$START_MS")"
echo "requests:        $requests (p99 ${p99} ms)"
echo "non-2xx:         $non2xx"
echo "socket errors:   connect $connect, read $rd, write $wr, timeout $timeout"
if ((non2xx > 0)); then
	echo "non-2xx between: $(rel "$first" "$KILL_MS") and $(rel "$last" "$KILL_MS") after the kill"
	echo "error rate back to zero: $(rel "$last" "$KILL_MS") after the kill"
else
	echo "error rate back to zero: at once (no non-2xx response)"
fi
if [[ -n $UNHEALTHY_MS ]]; then
	echo "health checks marked $B2 unhealthy: $(rel "$UNHEALTHY_MS" "$KILL_MS") after the kill"
else
	echo "health checks marked $B2 unhealthy: not within the run"
fi
echo "passive health: $(grep -c 'msg="target suspect' "$WORK/gatehouse.log" || true) suspect mark(s) in gatehouse's log"
echo "per second (t, 2xx, non-2xx):"
sed -n 's/^SECOND //p' "$WORK/wrk.out" | awk '{ printf "  t=%2ds %6d %4d\n", $1, $2, $3 }'
echo "gatehouse log lines at WARN/ERROR: $(grep -cE 'level=(WARN|ERROR)' "$WORK/gatehouse.log" || true)"
if ((errors > 0)); then
	# Requests already sent to the backend when it died fail (connection
	# reset mid-request): ALB answers those 502 too and may not resend them.
	echo "(non-2xx right at the kill are requests in flight on the killed backend)"
fi
