package birdtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Topology is a small network of namespaces around one BIRD router, as a
// rack looks to a cluster of gatehouse nodes: each node namespace and a
// client namespace hang off the router on a /30 of their own, and the root
// namespace (the test process) is joined to it too and routes the whole
// plan through it. The router peers with every node (all in SpeakerASN) and
// installs the /32s they announce with ECMP across them, spreading flows by
// their L4 hash (fib_multipath_hash_policy=1), as a ToR switch does.
type Topology struct {
	Router *Router // HostAddr/HostVeth: the root namespace's end of its link
	Nodes  []Host
	Client Host
	Plan   netip.Prefix // every address of the topology; routed from the root namespace through the router
}

// Host is a namespace on a /30 to the router.
type Host struct {
	NS      string
	Addr    netip.Addr // its address on the link
	Gateway netip.Addr // the router's address on the link: its default route and BGP peer
}

// Exec is a command that runs in the host's namespace (ip netns exec execs
// it there, so the process is name itself: signals reach it directly).
func (h Host) Exec(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// StartTopology creates the namespaces and links for nodes node namespaces
// and a client, and runs BIRD in the router's. Everything is removed in
// t.Cleanup. It skips the test as Start does.
func StartTopology(t testing.TB, nodes int) *Topology {
	t.Helper()
	skipUnlessAble(t)
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("skipping: sysctl not installed (apt-get install -y procps)")
	}
	if nodes < 1 || nodes > 60 {
		t.Fatalf("StartTopology: %d nodes, want 1 to 60 (one /24)", nodes)
	}
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(b[:])
	// 10.251.X.0/24, X random: beside Start's 10.250.X.0/30 and other runs.
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 251, b[0], byte(i)}) }
	top := &Topology{Plan: netip.PrefixFrom(addr(0), 24)}
	rtr := &Router{NS: "gh-ctr-" + id, HostVeth: "ghc" + id + "h", HostAddr: addr(1), Addr: addr(2)}
	top.Router = rtr

	var namespaces []string
	t.Cleanup(func() {
		// Deleting a namespace deletes its veth ends and so their peers.
		for _, ns := range slices.Backward(namespaces) {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Logf("delete namespace %s: %v: %s", ns, err, out)
			}
		}
		exec.Command("ip", "link", "del", rtr.HostVeth).Run()
	})
	addNS := func(ns string) {
		IP(t, "netns", "add", ns)
		namespaces = append(namespaces, ns)
		IP(t, "-n", ns, "link", "set", "lo", "up")
	}
	addNS(rtr.NS)
	for _, kv := range []string{"net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1",
		"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"} {
		if out, err := exec.Command("ip", "netns", "exec", rtr.NS, "sysctl", "-q", "-w", kv).CombinedOutput(); err != nil {
			t.Fatalf("sysctl %s in %s: %v: %s", kv, rtr.NS, err, out)
		}
	}

	// The root namespace's link, and the route to the whole plan through it.
	IP(t, "link", "add", rtr.HostVeth, "type", "veth", "peer", "name", "uplink", "netns", rtr.NS)
	IP(t, "addr", "add", rtr.HostAddr.String()+"/30", "dev", rtr.HostVeth)
	IP(t, "link", "set", rtr.HostVeth, "up")
	IP(t, "-n", rtr.NS, "addr", "add", rtr.Addr.String()+"/30", "dev", "uplink")
	IP(t, "-n", rtr.NS, "link", "set", "uplink", "up")
	IP(t, "route", "add", top.Plan.String(), "via", rtr.Addr.String())

	link := func(ns, rtrIf string, i int) Host {
		h := Host{NS: ns, Gateway: addr(4*i + 1), Addr: addr(4*i + 2)}
		addNS(ns)
		IP(t, "-n", rtr.NS, "link", "add", rtrIf, "type", "veth", "peer", "name", "eth0", "netns", ns)
		IP(t, "-n", rtr.NS, "addr", "add", h.Gateway.String()+"/30", "dev", rtrIf)
		IP(t, "-n", rtr.NS, "link", "set", rtrIf, "up")
		IP(t, "-n", ns, "addr", "add", h.Addr.String()+"/30", "dev", "eth0")
		IP(t, "-n", ns, "link", "set", "eth0", "up")
		IP(t, "-n", ns, "route", "add", "default", "via", h.Gateway.String())
		return h
	}
	for i := range nodes {
		top.Nodes = append(top.Nodes, link(fmt.Sprintf("gh-ctn%d-%s", i+1, id), fmt.Sprintf("n%d", i+1), i+1))
	}
	top.Client = link("gh-ctc-"+id, "client", nodes+1)

	var neighbours strings.Builder
	for i, n := range top.Nodes {
		fmt.Fprintf(&neighbours, "protocol bgp node%d from nodes { neighbor %s as %d; }\n", i+1, n.Addr, SpeakerASN)
	}
	// One ASN for every node, as anycast nodes of one service usually
	// share: BIRD merges only routes its BGP selection finds equal up to
	// the router id, and that includes the neighbour's AS.
	// passive: the nodes dial (gatehouse does not listen by default).
	// error wait time: after a session fails (a hold time expired), BIRD
	// refuses the node for 60 s by default; a test waits 1 s.
	conf := fmt.Sprintf(`router id %[1]s;
log stderr all;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
template bgp nodes {
	local as %[2]d;
	passive on;
	error wait time 1, 10;
	ipv4 { import all; export none; };
}
%[3]s`, rtr.Addr, RouterASN, neighbours.String())
	rtr.run(t, conf)
	return top
}

// NextHops are the addresses the router's kernel forwards p to, sorted: one
// per node whose announcement it installed (ECMP), none when it has no route.
func (r *Router) NextHops(t testing.TB, p netip.Prefix) []netip.Addr {
	t.Helper()
	var hops []netip.Addr
	f := strings.Fields(r.KernelRoute(t, p))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "via" {
			if a, err := netip.ParseAddr(f[i+1]); err == nil {
				hops = append(hops, a)
			}
		}
	}
	slices.SortFunc(hops, func(a, b netip.Addr) int { return a.Compare(b) })
	return hops
}

// skipUnlessAble skips the test unless it can create namespaces and run BIRD.
func skipUnlessAble(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating network namespaces needs root")
	}
	for _, bin := range []string{"bird", "birdc", "ip"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("skipping: %s not installed (apt-get install -y bird2 iproute2)", bin)
		}
	}
}

// run writes conf and runs BIRD in the router's namespace until the test
// ends; on failure it logs the protocols, routes and BIRD's output.
func (r *Router) run(t testing.TB, conf string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "bird.conf")
	r.Sock = filepath.Join(dir, "bird.ctl")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", r.NS, "bird", "-c", path, "-s", r.Sock, "-f")
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bird: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range [][]string{{"show", "protocols", "all"}, {"show", "route", "all"}} {
				out, _ := exec.Command("birdc", append([]string{"-s", r.Sock}, c...)...).CombinedOutput()
				t.Logf("birdc %s:\n%s", strings.Join(c, " "), out)
			}
			out, _ := exec.Command("ip", "-n", r.NS, "route", "show", "table", "all").CombinedOutput()
			t.Logf("router's kernel routes:\n%s", out)
		}
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("bird output:\n%s", log.String())
		}
	})
	Poll(t, "bird's control socket answers", func() bool {
		return exec.Command("birdc", "-s", r.Sock, "show", "status").Run() == nil
	})
}

// RouteChanges counts the route updates and withdrawals BIRD has written to
// the router's kernel table so far: a steady count means steady routes.
func (r *Router) RouteChanges(t testing.TB) int {
	t.Helper()
	n := 0
	for line := range strings.SplitSeq(r.Birdc(t, "show", "protocols", "all", "kernel1"), "\n") {
		f := strings.Fields(line)
		// "Export updates: received rejected filtered ignored accepted" and
		// "Export withdraws: received --- --- --- accepted".
		if len(f) == 7 && f[0] == "Export" && (f[1] == "updates:" || f[1] == "withdraws:") {
			var v int
			if _, err := fmt.Sscan(f[6], &v); err == nil {
				n += v
			}
		}
	}
	return n
}
