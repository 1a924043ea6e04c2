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
