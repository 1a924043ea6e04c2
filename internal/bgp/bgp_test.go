package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/bgp/birdtest"
)

func startSpeaker(t *testing.T, r *birdtest.Router, hold time.Duration) *Speaker {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s, err := Start(context.Background(), Config{
		Log:        log,
		LocalASN:   birdtest.SpeakerASN,
		RouterID:   r.HostAddr,
		ListenPort: -1, // the test's namespace is shared; the speaker dials
		Peers:      []Peer{{Address: r.Addr, ASN: birdtest.RouterASN}},
		HoldTime:   hold,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	birdtest.Poll(t, "session established", func() bool {
		n, err := s.Established(context.Background())
		return err == nil && n == 1
	})
	return s
}

// TestRouterLearnsAndWithdraws peers the speaker with BIRD and checks, in the
// router's kernel table, that a reconciled /32 is installed, a /32 left out of
// the next reconcile is withdrawn, and a graceful stop withdraws everything
// while the session is still up (before the drain ends).
func TestRouterLearnsAndWithdraws(t *testing.T) {
	r := birdtest.Start(t)
	hold := DefaultHoldTime
	s := startSpeaker(t, r, hold)
	a, b := netip.MustParsePrefix("203.0.113.10/32"), netip.MustParsePrefix("203.0.113.11/32")

	start := time.Now()
	if err := s.Reconcile([]netip.Prefix{a, b}); err != nil {
		t.Fatalf("Reconcile(%s, %s): %v", a, b, err)
	}
	birdtest.Poll(t, "router installed "+a.String(), func() bool { return r.Installed(t, a) })
	birdtest.Poll(t, "router installed "+b.String(), func() bool { return r.Installed(t, b) })
	t.Logf("hold time %s; learn of two /32s took %s", hold, time.Since(start).Round(time.Millisecond))
	if got, want := fmt.Sprint(s.Announced()), fmt.Sprint([]netip.Prefix{a, b}); got != want {
		t.Errorf("Announced() = %s, want %s", got, want)
	}

	start = time.Now()
	if err := s.Reconcile([]netip.Prefix{b}); err != nil {
		t.Fatalf("Reconcile(%s): %v", b, err)
	}
	birdtest.Poll(t, "router withdrew "+a.String(), func() bool { return r.KernelRoute(t, a) == "" })
	t.Logf("withdraw took %s", time.Since(start).Round(time.Millisecond))
	if !r.Installed(t, b) {
		t.Errorf("router route to %s after withdrawing %s: got %q, want via %s", b, a, r.KernelRoute(t, b), r.HostAddr)
	}

	drained := make(chan struct{})
	stopped := make(chan error, 1)
	start = time.Now()
	go func() { stopped <- s.Shutdown(context.Background(), drained) }()
	birdtest.Poll(t, "router withdrew "+b.String()+" on graceful stop", func() bool { return r.KernelRoute(t, b) == "" })
	t.Logf("graceful stop: withdraw took %s", time.Since(start).Round(time.Millisecond))
	// Still draining: the session stays up, only the routes are gone.
	if n, err := s.Established(context.Background()); err != nil || n != 1 {
		t.Errorf("established sessions while draining: got %d (%v), want 1", n, err)
	}
	close(drained)
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if got := s.Announced(); len(got) != 0 {
		t.Errorf("Announced() after Shutdown = %s, want none", got)
	}
}

// TestRouterDropsSilentSpeaker makes the speaker's host vanish without a word
// (its session address is removed: no NOTIFICATION, no FIN, no KEEPALIVE gets
// out, as when a node loses power; the speaker is never stopped gracefully)
// and checks that the router drops its route once the hold time, 3 s, passed.
func TestRouterDropsSilentSpeaker(t *testing.T) {
	r := birdtest.Start(t)
	hold := MinHoldTime
	s := startSpeaker(t, r, hold)
	p := netip.MustParsePrefix("203.0.113.20/32")
	if err := s.Reconcile([]netip.Prefix{p}); err != nil {
		t.Fatalf("Reconcile(%s): %v", p, err)
	}
	birdtest.Poll(t, "router installed "+p.String(), func() bool { return r.Installed(t, p) })

	birdtest.IP(t, "addr", "del", r.HostAddr.String()+"/30", "dev", r.HostVeth)
	took := birdtest.Poll(t, "router dropped "+p.String()+" of a silent speaker", func() bool { return r.KernelRoute(t, p) == "" })
	t.Logf("hold time %s; router dropped the silent speaker's route after %s", hold, took.Round(time.Millisecond))
	// The route must have gone because the hold timer expired, not because
	// the router saw the link or the session close.
	if out := r.Birdc(t, "show", "protocols", "all", "gatehouse"); !strings.Contains(out, "Hold timer expired") {
		t.Errorf("bird's gatehouse session after the speaker went silent:\n%s\nwant its last error to be Hold timer expired", out)
	}
}

// TestWithdrawKeepsSession: Withdraw returns once the UPDATE is on its way
// and the router drops the route, while the session stays up; Reconcile
// announces again afterwards (a stop that changed its mind would).
func TestWithdrawKeepsSession(t *testing.T) {
	r := birdtest.Start(t)
	s := startSpeaker(t, r, MinHoldTime)
	p := netip.MustParsePrefix("203.0.113.12/32")
	if err := s.Reconcile([]netip.Prefix{p}); err != nil {
		t.Fatalf("Reconcile(%s): %v", p, err)
	}
	birdtest.Poll(t, "router installed "+p.String(), func() bool { return r.Installed(t, p) })

	start := time.Now()
	if err := s.Withdraw(context.Background()); err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	sent := time.Since(start)
	birdtest.Poll(t, "router withdrew "+p.String(), func() bool { return r.KernelRoute(t, p) == "" })
	t.Logf("withdrawal sent after %s, out of the router's kernel table after %s", sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if got := s.Announced(); len(got) != 0 {
		t.Errorf("Announced() after Withdraw = %s, want none", got)
	}
	if n, err := s.Established(context.Background()); err != nil || n != 1 {
		t.Errorf("established sessions after Withdraw: got %d (%v), want 1", n, err)
	}
	if err := s.Reconcile([]netip.Prefix{p}); err != nil {
		t.Fatalf("Reconcile(%s) after Withdraw: %v", p, err)
	}
	birdtest.Poll(t, "router installed "+p.String()+" again", func() bool { return r.Installed(t, p) })
}
