package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"gatehouse/internal/bgp/birdtest"
	"gatehouse/internal/store/etcdtest"
	"gatehouse/internal/testutil"
)

// The cluster test's address plan: static IPs from the benchmarking range
// (routers drop loopback prefixes), the VPC on each node's own loopback.
const (
	clusterVPC       = "127.91.0.0/16"
	clusterPools     = "198.18.93.0/24,198.18.94.0/24"
	clusterHoldTime  = 3 * time.Second // BGP's minimum
	clusterAccessKey = "AKIDCLUSTERTEST"
	clusterSecretKey = "cluster-test-secret"
	proxiedSeries    = `gatehouse_accelerator_connections_total{outcome="proxied"}`
)

// TestClusterThreeNodes runs three gatehouse binaries, each in a network
// namespace of its own, on one etcd cluster (three members embedded in the
// test), behind a BIRD router that learns each static IP's /32 from every
// node by BGP and spreads a client namespace's flows over them with ECMP.
// It follows what a user of the cluster sees: the AWS CLI walkthrough
// (test/cli/walkthrough.sh) run against one node serves on all; a graceful stop loses no request made on a new connection
// (and, under keep-alive, only connections open at the withdrawal); a node
// announces only after its own health checks pass; a crash is routed around
// within the BGP hold time; an etcd member's loss changes nothing; the
// nodes come back; a deployment on one node is served by another.
func TestClusterThreeNodes(t *testing.T) {
	if raceEnabled {
		t.Skip("the nodes are gatehouse binaries built without the race detector; the plain run covers this")
	}
	needRoot(t)
	top := birdtest.StartTopology(t, 3)
	etcd := etcdtest.StartCluster(t, 3, top.Router.HostAddr)
	bin := buildBinary(t)

	keys := filepath.Join(t.TempDir(), "aws-keys")
	if err := os.WriteFile(keys, []byte(clusterAccessKey+" "+clusterSecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	walkthrough, err := os.ReadFile("../cli/walkthrough.sh")
	if err != nil {
		t.Fatal(err)
	}
	storeURL := "etcd://" + etcd.Endpoints() + "/cluster-test"
	var nodes []*clusterNode
	for i, h := range top.Nodes {
		n := &clusterNode{name: fmt.Sprintf("node%d", i+1), host: h, bin: bin, dataDir: t.TempDir()}
		for _, pool := range strings.Split(clusterPools, ",") {
			// The static IPs are local to every node, as 127.0.0.0/8 is, so
			// that each node's accelerator can bind them.
			birdtest.IP(t, "-n", h.NS, "route", "add", "local", pool, "dev", "lo")
		}
		// The namespaces share the host name, the default node name.
		n.args = []string{"--store", storeURL, "--node-name", n.name, "--node-address", h.Addr.String(),
			"--data-dir", n.dataDir, "--log-level", "info",
			"--dns-listen", "127.0.0.1:1053",
			"--aws-listen", net.JoinHostPort(h.Addr.String(), "4566"), "--aws-keys-file", keys,
			"--metrics-listen", net.JoinHostPort(h.Addr.String(), "9100"),
			"--vpc-cidr", clusterVPC, "--static-ip-pools", clusterPools,
			"--bgp-asn", fmt.Sprint(birdtest.SpeakerASN), "--bgp-router-id", h.Addr.String(),
			"--bgp-peer", fmt.Sprintf("%d@%s", birdtest.RouterASN, h.Gateway),
			"--bgp-hold-time", clusterHoldTime.String(), "--drain-timeout", "10s",
			// The keep-alive load runs flat out and can pass API Gateway's
			// account throttle (10,000 requests a second): a 429 would fail a
			// test of the stop, not of the throttle (the gateway's tests).
			"--account-throttle-rate", "1000000", "--account-throttle-burst", "1000000"}
		nodes = append(nodes, n)
		t.Cleanup(func() {
			n.kill()
			if t.Failed() {
				t.Logf("%s output:\n%s", n.name, n.out.From(0))
			}
		})
	}
	metrics := func(n *clusterNode) float64 {
		return n.counter(t, net.JoinHostPort(n.host.Addr.String(), "9100"), proxiedSeries)
	}
	api := func(n *clusterNode) awsClients {
		return sdkClientsAs(net.JoinHostPort(n.host.Addr.String(), "4566"), clusterAccessKey, clusterSecretKey)
	}
	addrs := func(ns ...*clusterNode) []netip.Addr {
		var out []netip.Addr
		for _, n := range ns {
			out = append(out, n.host.Addr)
		}
		slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
		return out
	}
	ctx := context.Background()

	var ips []string
	var prefixes []netip.Prefix
	if !t.Run("1. the AWS CLI walkthrough on node 1 serves on every node", func(t *testing.T) {
		nodes[0].start(t)
		// test/cli/walkthrough.sh, word for word, inside node 1's namespace
		// against its AWS API, up to its validation (dig, curl through each
		// static IP); the clean-up is left out so the setup stays.
		cmd := nodes[0].host.Exec("bash", "-c", string(walkthrough), "walkthrough.sh", bin)
		cmd.Env = append(os.Environ(), "WALKTHROUGH_KEEP=1",
			"GATEHOUSE_ENDPOINT=http://"+net.JoinHostPort(nodes[0].host.Addr.String(), "4566"),
			"GATEHOUSE_DNS_PORT=1053", "GATEHOUSE_CA="+filepath.Join(nodes[0].dataDir, "ca.pem"),
			"GATEHOUSE_ACCESS_KEY="+clusterAccessKey, "GATEHOUSE_SECRET_KEY="+clusterSecretKey)
		out, err := cmd.CombinedOutput()
		t.Logf("walkthrough.sh against node 1:\n%s", out)
		if err != nil {
			t.Fatalf("walkthrough.sh: %v", err)
		}
		for line := range strings.SplitSeq(string(out), "\n") {
			if rest, ok := strings.CutPrefix(line, "static IPs: "); ok {
				ips = strings.Fields(rest)
				slices.Sort(ips)
			}
		}
		if len(ips) != 2 {
			t.Fatalf("the walkthrough printed static IPs %v, want two", ips)
		}
		for _, ip := range ips {
			prefixes = append(prefixes, netip.PrefixFrom(netip.MustParseAddr(ip), 32))
		}
		nodes[1].start(t)
		nodes[2].start(t)
		ca := caPool(t, nodes[0].dataDir)
		for _, n := range nodes[1:] {
			if a, b := readFile(t, nodes[0].dataDir, "ca.pem"), readFile(t, n.dataDir, "ca.pem"); a != b {
				t.Errorf("%s's ca.pem differs from node 1's: the CA is in the shared store, want the same", n.name)
			}
		}
		// Each node's own data plane, from inside its namespace (the static
		// IPs are local there): the stack is in the store every node watches.
		for _, n := range nodes {
			for _, ip := range ips {
				testutil.EventuallyWithin(t, waitLimit, n.name+" serves GET / on "+ip, func() (bool, string) {
					code, body, err := getIn(n.host.NS, ip, ca, "/")
					return err == nil && code == 200 && body == "", fmt.Sprintf("got %d %q %v, want 200 with an empty body", code, body, err)
				})
			}
		}
		// And as a client sees it: through the router.
		for _, ip := range ips {
			testutil.EventuallyWithin(t, waitLimit, "the client gets GET / on "+ip, func() (bool, string) {
				code, body, err := getIn(top.Client.NS, ip, ca, "/")
				return err == nil && code == 200 && body == "", fmt.Sprintf("got %d %q %v, want 200 with an empty body", code, body, err)
			})
		}
	}) {
		return
	}
	ca := caPool(t, nodes[0].dataDir)

	// allRouted waits until the router forwards every static IP to the nodes ns.
	allRouted := func(t *testing.T, what string, ns ...*clusterNode) time.Duration {
		t.Helper()
		want := addrs(ns...)
		start := time.Now()
		for _, p := range prefixes {
			testutil.EventuallyWithin(t, waitLimit, what+": "+p.String(), func() (bool, string) {
				got := top.Router.NextHops(t, p)
				return slices.Equal(got, want), fmt.Sprintf("router's next hops %v, want %v", got, want)
			})
		}
		return time.Since(start)
	}

	if !t.Run("2. the router spreads the static IPs over the three nodes", func(t *testing.T) {
		allRouted(t, "three next hops", nodes...)
		// Each node announces once its targets are healthy; a cluster
		// whose nodes fight over shared health records flaps instead
		// (docs/CLUSTER.md). Counted and reported; the load starts once the
		// router's table has been still for steadyFor.
		t.Logf("the router's kernel table changed %d times while the cluster formed (%s)", steadyRoutes(t, top.Router), steadyFor)
		for _, p := range prefixes {
			t.Logf("router: %s", top.Router.KernelRoute(t, p))
		}
		before := make([]float64, len(nodes))
		for i, n := range nodes {
			before[i] = metrics(n)
		}
		const requests = 300
		l := startLoad(t, top.Client.NS, ips, ca, "", 4)
		l.waitRequests(t, requests)
		l.end()
		rs := l.snapshot()
		if f := failures(rs); len(f) > 0 {
			t.Fatalf("%d of %d requests failed; first: %v", len(f), len(rs), f[0].err)
		}
		var served []string
		busy := 0
		for i, n := range nodes {
			d := metrics(n) - before[i]
			served = append(served, fmt.Sprintf("%s %.0f", n.name, d))
			if d > 0 {
				busy++
			}
		}
		t.Logf("%d new connections from the client, proxied per node: %s", len(rs), strings.Join(served, ", "))
		if busy < 2 {
			t.Fatalf("connections proxied per node: %s; want more than one node serving", strings.Join(served, ", "))
		}
	}) {
		return
	}

	if !t.Run("3. SIGTERM of a node under load: no request fails", func(t *testing.T) {
		// Node 2 is the middle one of the router's three next hops: Linux
		// spreads flows by hash-threshold, and removing the middle range
		// gives half of it to each neighbour, so no flow of nodes 1 and 3
		// moves. Removing an end range shifts the other boundaries and moves
		// a quarter of the survivors' flows (3b stops node 3, the last; see
		// docs/CLUSTER.md): only a router with resilient hashing avoids
		// that, whatever the node does.
		for _, p := range prefixes {
			if got := top.Router.KernelRoute(t, p); !middleNextHop(got, nodes[1].host.Addr) {
				t.Fatalf("router's route %q: want node 2 (%s) as the middle next hop", got, nodes[1].host.Addr)
			}
		}
		l := startLoad(t, top.Client.NS, ips, ca, "", 8)
		l.waitRequests(t, 200)
		stopAt := time.Now()
		nodes[1].signal(t, syscall.SIGTERM)
		allRouted(t, "node 2's next hop withdrawn", nodes[0], nodes[2])
		withdrawnAt := time.Now()
		st := nodes[1].wait(t)
		exited := time.Since(stopAt)
		l.waitRequests(t, 200)
		l.end()
		rs := l.snapshot()
		f := failures(rs)
		t.Logf("graceful stop: router withdrew node 2 %s after SIGTERM, node 2 exited (%s) after %s; %d requests (a new connection each), %d failed, %d took over %s (a SYN sent again)",
			withdrawnAt.Sub(stopAt).Round(time.Millisecond), st, exited.Round(time.Millisecond), len(rs), len(f), len(slow(rs, synRetried)), synRetried)
		for _, r := range slow(rs, synRetried) {
			t.Logf("slow: started %s after SIGTERM, took %s", r.start.Sub(stopAt).Round(time.Millisecond), r.end.Sub(r.start).Round(time.Millisecond))
		}
		if !st.Success() {
			t.Errorf("node 2 after SIGTERM: %s, want a clean exit", st)
		}
		// Node 2 drops new connections' SYNs silently, lets the open ones
		// finish, then withdraws: the clients' retried SYNs go to the
		// others, and no connection is open on node 2 when the router moves
		// its flows (docs/CLUSTER.md).
		for _, r := range f {
			t.Errorf("failed: started %s after SIGTERM, ended %s after: %v",
				r.start.Sub(stopAt).Round(time.Millisecond), r.end.Sub(stopAt).Round(time.Millisecond), r.err)
		}
		restart := nodes[1].start(t)
		allRouted(t, "node 2 back", nodes...)
		// Node 2 announces on its own checks, not on the stored report
		// (which says healthy throughout): after its first healthy check.
		checked, announced := firstLogTime(t, nodes[1].out.From(restart), "msg=\"target health\"", "state=healthy"),
			firstLogTime(t, nodes[1].out.From(restart), "msg=announce")
		t.Logf("node 2 restarted: first healthy check of its own at %s, first announce at %s (%s later)",
			checked.Format("15:04:05.000"), announced.Format("15:04:05.000"), announced.Sub(checked))
		if announced.Before(checked) {
			t.Errorf("node 2 announced at %s, before its first healthy check at %s", announced.Format("15:04:05.000"), checked.Format("15:04:05.000"))
		}
	}) {
		return
	}

	if !t.Run("3b. SIGTERM of a node under a keep-alive load: only connections open at the withdrawal fail", func(t *testing.T) {
		allRouted(t, "three next hops", nodes...)
		steadyRoutes(t, top.Router)
		l := startKeepAliveLoad(t, top.Client.NS, ips, ca, "", 8)
		l.waitRequests(t, 300)
		stopAt := time.Now()
		nodes[2].signal(t, syscall.SIGTERM)
		allRouted(t, "node 3's next hop withdrawn", nodes[0], nodes[1])
		withdrawnAt := time.Now()
		st := nodes[2].wait(t)
		exited := time.Since(stopAt)
		l.waitRequests(t, 300)
		l.end()
		rs := l.snapshot()
		f := failures(rs)
		t.Logf("graceful stop under keep-alive load: router withdrew node 3 %s after SIGTERM, node 3 exited (%s) after %s; %d requests on %d connections, %d failed",
			withdrawnAt.Sub(stopAt).Round(time.Millisecond), st, exited.Round(time.Millisecond), len(rs), connections(rs), len(f))
		for _, r := range f {
			t.Logf("failed: connection opened %s after SIGTERM, request started %s after, ended %s after: %v",
				r.connOpened.Sub(stopAt).Round(time.Millisecond), r.start.Sub(stopAt).Round(time.Millisecond), r.end.Sub(stopAt).Round(time.Millisecond), r.err)
			// A stateless router moves the flows of a withdrawn next hop
			// (and some others': hash-threshold ECMP) to a node that resets
			// them: connections open then can fail, later ones must not.
			if !r.connOpened.Before(withdrawnAt) {
				t.Errorf("a connection opened after the withdrawal failed: %v", r.err)
			}
		}
		nodes[2].start(t)
		allRouted(t, "node 3 back", nodes...)
	}) {
		return
	}

	// failover runs a load, breaks node n with sig and waits until the
	// router forwards only to the others: a process killed has its BGP
	// session closed by its kernel at once; a frozen one (SIGSTOP: a hung
	// host whose kernel still answers) is only noticed when the hold time
	// passes without a keepalive. Requests that started after the router
	// withdrew the node must all succeed.
	failover := func(t *testing.T, n *clusterNode, sig syscall.Signal, rest ...*clusterNode) {
		l := startLoad(t, top.Client.NS, ips, ca, "", 8)
		l.waitRequests(t, 200)
		brokenAt := time.Now()
		n.signal(t, sig)
		allRouted(t, n.name+"'s next hop withdrawn", rest...)
		withdrawnAt := time.Now()
		l.waitRequests(t, 300)
		l.end()
		rs := l.snapshot()
		f := failures(rs)
		var lastFailure time.Duration
		var afterWithdrawal []result
		for _, r := range f {
			lastFailure = max(lastFailure, r.end.Sub(brokenAt))
			if r.start.After(withdrawnAt) {
				afterWithdrawal = append(afterWithdrawal, r)
			}
		}
		t.Logf("%s: router withdrew %s %s after the signal (hold time %s); %d requests, %d failed, the last failure ended %s after the signal",
			sig, n.name, withdrawnAt.Sub(brokenAt).Round(time.Millisecond), clusterHoldTime, len(rs), len(f), lastFailure.Round(time.Millisecond))
		for _, r := range f[:min(len(f), 3)] {
			t.Logf("failed: started %s after the signal: %v", r.start.Sub(brokenAt).Round(time.Millisecond), r.err)
		}
		if len(afterWithdrawal) > 0 {
			t.Errorf("%d requests started after the withdrawal failed, want 0; first: %v", len(afterWithdrawal), afterWithdrawal[0].err)
		}
	}

	if !t.Run("4. kill -9 of a node: the router withdraws it", func(t *testing.T) {
		failover(t, nodes[1], syscall.SIGKILL, nodes[0], nodes[2])
		nodes[1].wait(t)
	}) {
		return
	}

	if !t.Run("4b. a hung node (SIGSTOP): the router withdraws it when the hold time passes", func(t *testing.T) {
		failover(t, nodes[2], syscall.SIGSTOP, nodes[0])
		nodes[2].signal(t, syscall.SIGCONT)
		back := allRouted(t, "node 3 back after SIGCONT", nodes[0], nodes[2])
		t.Logf("node 3 announced again %s after SIGCONT", back.Round(time.Millisecond))
	}) {
		return
	}

	if !t.Run("5. an etcd member down: the cluster serves and accepts writes", func(t *testing.T) {
		leader := etcd.Leader()
		if leader < 0 {
			t.Fatal("no etcd member leads")
		}
		etcd.Stop(leader)
		t.Logf("stopped etcd member %d, the leader", leader)
		defer etcd.Restart(leader)
		for _, ip := range ips {
			if code, body, err := getIn(top.Client.NS, ip, ca, "/"); err != nil || code != 200 || body != "" {
				t.Errorf("GET / via %s with an etcd member down: got %d %q %v, want 200 with an empty body", ip, code, body, err)
			}
		}
		// A write on node 1, read on node 3.
		vpcs := testutil.Must[*ec2.DescribeVpcsOutput](t)(api(nodes[0]).ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
		var sg *ec2.CreateSecurityGroupOutput
		testutil.EventuallyWithin(t, waitLimit, "node 1 accepts create-security-group", func() (bool, string) {
			var err error
			sg, err = api(nodes[0]).ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
				GroupName: aws.String("etcd-member-down"), Description: aws.String("written while an etcd member was down"),
				VpcId: vpcs.Vpcs[0].VpcId})
			return err == nil, fmt.Sprint(err)
		})
		testutil.EventuallyWithin(t, waitLimit, "node 3 lists the security group", func() (bool, string) {
			out, err := api(nodes[2]).ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(sg.GroupId)}})
			return err == nil && len(out.SecurityGroups) == 1, fmt.Sprint(err)
		})
	}) {
		return
	}

	if !t.Run("6. the killed node restarts, rejoins and serves", func(t *testing.T) {
		nodes[1].start(t)
		back := allRouted(t, "node 2 back", nodes...)
		t.Logf("router has node 2's next hop again %s after it said it serves", back.Round(time.Millisecond))
		for _, ip := range ips {
			testutil.EventuallyWithin(t, waitLimit, "node 2 serves GET / on "+ip, func() (bool, string) {
				code, body, err := getIn(nodes[1].host.NS, ip, ca, "/")
				return err == nil && code == 200 && body == "", fmt.Sprintf("got %d %q %v", code, body, err)
			})
		}
	}) {
		return
	}

	t.Run("7. deployed on node 1, served by node 2", func(t *testing.T) {
		gw := api(nodes[0]).apigw
		apis := testutil.Must[*apigateway.GetRestApisOutput](t)(gw.GetRestApis(ctx, &apigateway.GetRestApisInput{}))
		var apiID string
		for _, a := range apis.Items {
			if aws.ToString(a.Name) == "demo" {
				apiID = aws.ToString(a.Id)
			}
		}
		res := testutil.Must[*apigateway.GetResourcesOutput](t)(gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID}))
		var root string
		for _, r := range res.Items {
			if aws.ToString(r.Path) == "/" {
				root = aws.ToString(r.Id)
			}
		}
		const deployments = 50
		var lags []time.Duration
		for i := range deployments {
			body := fmt.Sprintf(`{"deployment": %d}`, i+1)
			testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(gw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
				RestApiId: &apiID, ResourceId: &root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
				ResponseTemplates: map[string]string{"application/json": body}}))
			testutil.Must[*apigateway.CreateDeploymentOutput](t)(gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
				RestApiId: &apiID, StageName: aws.String("prod")}))
			deployed := time.Now()
			testutil.EventuallyWithin(t, waitLimit, fmt.Sprintf("node 2 serves deployment %d", i+1), func() (bool, string) {
				code, got, err := getIn(nodes[1].host.NS, ips[i%2], ca, "/")
				return err == nil && code == 200 && got == body, fmt.Sprintf("got %d %q %v, want 200 %q", code, got, err, body)
			})
			lags = append(lags, time.Since(deployed))
		}
		sort.Slice(lags, func(a, b int) bool { return lags[a] < lags[b] })
		t.Logf("create-deployment on node 1 → served by node 2, %d deployments: p50 %s, p99 %s, max %s",
			deployments, lags[len(lags)/2].Round(time.Millisecond), lags[len(lags)*99/100].Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
	})
}

// synRetried is the latency above which a request has waited for a SYN sent
// again (the initial retransmission timeout is 1 s).
const synRetried = 900 * time.Millisecond

// slow returns the requests that took longer than d.
func slow(rs []result, d time.Duration) []result {
	var out []result
	for _, r := range rs {
		if r.end.Sub(r.start) > d {
			out = append(out, r)
		}
	}
	return out
}

// middleNextHop reports whether addr is the middle one of the three next
// hops of an `ip route show` line, in the kernel's order.
func middleNextHop(route string, addr netip.Addr) bool {
	fields := strings.Fields(route)
	var vias []string
	for i := 0; i+2 < len(fields); i++ {
		if fields[i] == "nexthop" && fields[i+1] == "via" {
			vias = append(vias, fields[i+2])
		}
	}
	return len(vias) == 3 && vias[1] == addr.String()
}

// connections counts the distinct connections a keep-alive load used.
func connections(rs []result) int {
	seen := map[time.Time]bool{}
	for _, r := range rs {
		seen[r.connOpened] = true
	}
	return len(seen)
}

// firstLogTime is the time of the first line of a node's log (slog's text
// format) that contains every one of substrs; the test fails if none does.
func firstLogTime(t *testing.T, log string, substrs ...string) time.Time {
	t.Helper()
	for line := range strings.SplitSeq(log, "\n") {
		match := true
		for _, s := range substrs {
			match = match && strings.Contains(line, s)
		}
		if !match {
			continue
		}
		if v, ok := strings.CutPrefix(line, "time="); ok {
			v, _, _ = strings.Cut(v, " ")
			if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return at
			}
		}
	}
	t.Fatalf("no log line with %q in:\n%s", substrs, log)
	return time.Time{}
}

// steadyFor is how long the router's routes must not change before a load
// starts.
const steadyFor = 3 * time.Second

// steadyRoutes waits until the router's kernel table has not changed for
// steadyFor and returns how many changes it has seen.
func steadyRoutes(t *testing.T, r *birdtest.Router) int {
	t.Helper()
	last := r.RouteChanges(t)
	deadline := time.Now().Add(waitLimit)
	for {
		time.Sleep(steadyFor)
		now := r.RouteChanges(t)
		if now == last {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("the router's routes still change after %s (%d changes)", waitLimit, now)
		}
		last = now
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
