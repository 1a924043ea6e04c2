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
// It follows what a user of the cluster sees: the stack applied on one node
// serves on all; a graceful stop loses no request; a crash is routed around
// within the BGP hold time; an etcd member's loss changes nothing; the
// nodes come back; a deployment on one node is served by another.
func TestClusterThreeNodes(t *testing.T) {
	needRoot(t)
	top := birdtest.StartTopology(t, 3)
	etcd := etcdtest.StartCluster(t, 3, top.Router.HostAddr)
	bin := buildBinary(t)

	keys := filepath.Join(t.TempDir(), "aws-keys")
	if err := os.WriteFile(keys, []byte(clusterAccessKey+" "+clusterSecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	example, err := filepath.Abs(exampleFile)
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
			"--bgp-hold-time", clusterHoldTime.String(), "--drain-timeout", "10s"}
		if i == 0 {
			// The walkthrough's stack, applied through node 1's services.
			n.args = append(n.args, "-f", example)
		}
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
	if !t.Run("1. the stack applied on node 1 serves on every node", func(t *testing.T) {
		nodes[0].start(t)
		for line := range strings.SplitSeq(nodes[0].out.From(0), "\n") {
			if m := summaryLine.FindStringSubmatch(line); m != nil {
				ips = strings.Split(m[1], ", ")
				slices.Sort(ips)
			}
		}
		if len(ips) != 2 {
			t.Fatalf("node 1 printed static IPs %v, want two", ips)
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

	if !t.Run("3. SIGTERM of a node under load: only requests in flight at the route change fail", func(t *testing.T) {
		l := startLoad(t, top.Client.NS, ips, ca, "", 8)
		l.waitRequests(t, 200)
		stopAt := time.Now()
		nodes[2].signal(t, syscall.SIGTERM)
		allRouted(t, "node 3's next hop withdrawn", nodes[0], nodes[1])
		withdrawnAt := time.Now()
		st := nodes[2].wait(t)
		exited := time.Since(stopAt)
		l.waitRequests(t, 200)
		l.end()
		rs := l.snapshot()
		f := failures(rs)
		t.Logf("graceful stop: router withdrew node 3 %s after SIGTERM, node 3 exited (%s) after %s; %d requests (a new connection each), %d failed",
			withdrawnAt.Sub(stopAt).Round(time.Millisecond), st, exited.Round(time.Millisecond), len(rs), len(f))
		if !st.Success() {
			t.Errorf("node 3 after SIGTERM: %s, want a clean exit", st)
		}
		// The router's hash moves every flow of the withdrawn next hop, and
		// with hash-threshold ECMP some of the others', to another node,
		// which resets it: a request in flight at that instant can fail
		// (docs/CLUSTER.md). Every other request must succeed.
		for _, r := range f {
			t.Logf("failed: started %s after SIGTERM, ended %s after: %v",
				r.start.Sub(stopAt).Round(time.Millisecond), r.end.Sub(stopAt).Round(time.Millisecond), r.err)
			if !r.start.Before(withdrawnAt) || !r.end.After(stopAt) {
				t.Errorf("a request not in flight across the route change failed: %v", r.err)
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
