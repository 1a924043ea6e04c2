# Shared by the bench scripts: source it, never run it.

# stop_pids stops every process in the PIDS array: TERM, up to 5 s to exit,
# then KILL whatever is left.
stop_pids() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for _ in $(seq 50); do
		local alive=0
		for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

# loopback_xdp says so when an XDP program is attached to lo, and prints
# nothing otherwise: every loopback packet then goes through generic XDP (a
# copy of the packet each), which slows every server in a comparison by its
# packets, not by its code. Knot's kxdpgun leaves one behind
# (xdp_redirect_dns).
loopback_xdp() {
	local prog
	prog=$(ip link show dev lo 2>/dev/null | grep -oE 'prog/xdp id [0-9]+ name [^ ]+' || true)
	[[ -z $prog ]] || echo "an XDP program is attached to lo ($prog): remove it (ip link set dev lo xdpgeneric off)"
}

# nginx_conf dir workers http [top]: writes dir/nginx.conf, an nginx whose
# logs, pid and temporary files stay in dir, with http inside its http block
# (top: main-context lines such as "master_process off;").
nginx_conf() {
	local dir=$1 workers=$2 http=$3 top=${4:-}
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<-EOF
		$top
		worker_processes $workers;
		error_log $dir/error.log warn;
		pid $dir/nginx.pid;
		events { worker_connections 4096; }
		http {
		  access_log off;
		  client_body_temp_path $dir/body;
		  proxy_temp_path $dir/proxy;
		  fastcgi_temp_path $dir/fastcgi;
		  uwsgi_temp_path $dir/uwsgi;
		  scgi_temp_path $dir/scgi;
		$http
		}
	EOF
}

# l7_stack file name ip...: writes an ALB stack (all.sh's l7 and hung groups,
# instructions.sh): load balancer name with an HTTP:80 listener forwarding
# to target group name, the HTTP:8080 targets ip..., checked every 5 s (2 s
# timeout, 2 to rise or fall).
l7_stack() {
	local file=$1 name=$2 ips
	ips=$(IFS=,; echo "${*:3}")
	cat >"$file" <<-EOF
		region: us-west-2
		securityGroups:
		  - name: alb-sg
		    description: HTTP from anywhere
		    ingress: [{protocol: tcp, port: 80, cidr: 0.0.0.0/0}]
		targetGroups:
		  - name: $name
		    protocol: HTTP
		    port: 8080
		    targetType: ip
		    targets: {ips: [${ips//,/, }]}
		    healthCheck: {protocol: HTTP, path: /, matcher: "200", intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2}
		loadBalancers:
		  - name: $name
		    subnets: [a, b]
		    securityGroups: [alb-sg]
		    listeners:
		      - {protocol: HTTP, port: 80, forward: $name}
	EOF
}
