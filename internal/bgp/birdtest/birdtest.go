// Package birdtest runs a real BGP router for tests: BIRD 2 in a network
// namespace of its own, joined to the test's (root) namespace by a veth pair
// on a /30, peering passively with a speaker at the root side's address and
// installing what it learns into the namespace's kernel table with ECMP
// (merge paths). Tests read the router's kernel table with ip(8), as a user
// would.
//
// Start skips the test when it does not run as root or BIRD or ip are not
// installed (Debian: bird2, iproute2). Everything it creates (namespace, veth
// pair, the bird process) is removed in t.Cleanup, whether the test passes or
// not.
package birdtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RouterASN and SpeakerASN are private ASNs (RFC 6996) of the test's eBGP session.
const (
	RouterASN  = 65000
	SpeakerASN = 65001
	// PollBound is how long Poll waits before it fails the test: generous, as
	// the machine is shared. Nothing asserts how fast.
	PollBound = 60 * time.Second
)

// Router is a running BIRD.
type Router struct {
	NS       string     // network namespace
	HostVeth string     // the veth end in the root namespace, where the speaker is
	HostAddr netip.Addr // the speaker's session address (root side of the /30)
	Addr     netip.Addr // BIRD's session address
	Sock     string     // birdc control socket
}

// Start creates the namespace and the veth pair and runs BIRD in it.
func Start(t testing.TB) *Router {
	t.Helper()
	skipUnlessAble(t)
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	id := hex.EncodeToString(b[:])
	r := &Router{
		NS:       "gh-bgp-rtr-" + id,
		HostVeth: "ghb" + id + "h", // interface names are at most 15 bytes
		HostAddr: netip.AddrFrom4([4]byte{10, 250, b[0], 1}),
		Addr:     netip.AddrFrom4([4]byte{10, 250, b[0], 2}),
	}
	rtrVeth := "ghb" + id + "r"
	IP(t, "netns", "add", r.NS)
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", r.HostVeth).Run() // usually gone with the namespace already
		if out, err := exec.Command("ip", "netns", "del", r.NS).CombinedOutput(); err != nil {
			t.Logf("delete namespace %s: %v: %s", r.NS, err, out)
		}
	})
	IP(t, "link", "add", r.HostVeth, "type", "veth", "peer", "name", rtrVeth, "netns", r.NS)
	IP(t, "addr", "add", r.HostAddr.String()+"/30", "dev", r.HostVeth)
	IP(t, "link", "set", r.HostVeth, "up")
	IP(t, "-n", r.NS, "addr", "add", r.Addr.String()+"/30", "dev", rtrVeth)
	IP(t, "-n", r.NS, "link", "set", rtrVeth, "up")
	IP(t, "-n", r.NS, "link", "set", "lo", "up")

	// passive: the speaker dials (gatehouse does not listen by default).
	// Hold time: BIRD offers its default (240 s); the session uses the
	// speaker's smaller offer.
	birdConf := fmt.Sprintf(`router id %[1]s;
log stderr all;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
protocol bgp gatehouse {
	local %[1]s as %[2]d;
	neighbor %[3]s as %[4]d;
	passive on;
	ipv4 { import all; export none; };
}
`, r.Addr, RouterASN, r.HostAddr, SpeakerASN)
	r.run(t, birdConf)
	return r
}

// IP runs ip(8) and fails the test if it fails.
func IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Birdc runs a birdc command against the router and returns its output.
func (r *Router) Birdc(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("birdc", append([]string{"-s", r.Sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("birdc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// KernelRoute returns the router's kernel route to p, "" when it has none.
func (r *Router) KernelRoute(t testing.TB, p netip.Prefix) string {
	t.Helper()
	return strings.TrimSpace(IP(t, "-n", r.NS, "route", "show", "exact", p.String()))
}

// Installed reports whether the router's kernel routes p to the speaker, as
// learnt by BGP.
func (r *Router) Installed(t testing.TB, p netip.Prefix) bool {
	t.Helper()
	route := r.KernelRoute(t, p)
	return strings.Contains(route, "via "+r.HostAddr.String()) && strings.Contains(route, "proto bird")
}

// Poll calls cond until it holds and returns how long that took; it fails the
// test after PollBound.
func Poll(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > PollBound {
			t.Fatalf("%s: still not so after %s", what, PollBound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// syncBuffer collects bird's output, written by the exec package's copier.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
