package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"gatehouse/internal/bgp"
	"gatehouse/internal/bgp/birdtest"
	"gatehouse/internal/daemon"
)

// TestBGPAnnounceAndDrain runs the daemon with BGP against a BIRD router in a
// network namespace: the router learns a /32 for each static IP once the
// example stack serves; a stop withdraws both while an established connection
// keeps being served, and the daemon exits once that connection ends.
func TestBGPAnnounceAndDrain(t *testing.T) {
	needRoot(t)
	rtr := birdtest.Start(t)
	cfg := daemon.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DNSListen = freeAddr(t)
	cfg.AWSListen = ""
	// Routers ignore loopback prefixes (BIRD drops 127.0.0.0/8 as host
	// scope), so the static IPs come from 198.18.0.0/15, the benchmarking
	// range, made local to this host as 127.0.0.0/8 is (AnyIP routes), so
	// that the accelerator can bind them.
	pools := []string{"198.18.91.0/24", "198.18.92.0/24"}
	for _, p := range pools {
		// replace, not add: a run killed before its clean-up leaves the route.
		birdtest.IP(t, "route", "replace", "local", p, "dev", "lo")
		t.Cleanup(func() { birdtest.IP(t, "route", "del", "local", p, "dev", "lo") })
	}
	addressPlan("127.49.0.0/16", pools...)(&cfg)
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.BGP = &bgp.Config{
		LocalASN:   birdtest.SpeakerASN,
		RouterID:   rtr.HostAddr,
		ListenPort: -1,
		Peers:      []bgp.Peer{{Address: rtr.Addr, ASN: birdtest.RouterASN}},
		HoldTime:   bgp.MinHoldTime,
	}
	// Longer than any poll below: the daemon must exit because the connection
	// ended, not because the drain timed out.
	cfg.DrainTimeout = 3 * waitLimit

	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ready) }()
	stopped := false
	t.Cleanup(func() {
		cancel()
		if !stopped {
			<-done
		}
	})
	select {
	case <-ready:
	case err := <-done:
		stopped = true
		t.Fatalf("daemon stopped at start: %v", err)
	}
	r := &running{d: d, cfg: cfg}
	r.apply(t, loadExample(t))
	ips := acceleratorIPs(t, d.Store)
	var prefixes []netip.Prefix
	for _, ip := range ips {
		prefixes = append(prefixes, netip.PrefixFrom(netip.MustParseAddr(ip), 32))
	}

	// The stack is ready before its targets' health checks pass; the IPs
	// are announceable once the endpoint is healthy.
	start := time.Now()
	birdtest.Poll(t, "both static IPs announceable", func() bool { return len(d.Accelerator.Announceable()) == 2 })
	healthy := time.Since(start)
	start = time.Now()
	for _, p := range prefixes {
		birdtest.Poll(t, "router installed "+p.String(), func() bool { return rtr.Installed(t, p) })
	}
	t.Logf("endpoint healthy %s after the stack was ready; router learnt %v %s later",
		healthy.Round(time.Millisecond), prefixes, time.Since(start).Round(time.Millisecond))

	// One client connection, established before the stop and kept open.
	conn, err := tls.Dial("tcp", net.JoinHostPort(ips[0], "443"), &tls.Config{ServerName: domain, RootCAs: caPool(t, cfg.DataDir)})
	if err != nil {
		t.Fatalf("dial %s:443: %v", ips[0], err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	roundTrip := func(when string) {
		t.Helper()
		conn.SetDeadline(time.Now().Add(waitLimit))
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+domain+"\r\n\r\n"); err != nil {
			t.Fatalf("%s: write request: %v", when, err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: read response: %v", when, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: GET / got %d, want 200", when, resp.StatusCode)
		}
	}
	roundTrip("before the stop")

	cancel() // SIGTERM, as serve sees it
	start = time.Now()
	for _, p := range prefixes {
		birdtest.Poll(t, "router withdrew "+p.String()+" on stop", func() bool { return rtr.KernelRoute(t, p) == "" })
	}
	t.Logf("stop: router withdrew both /32s after %s", time.Since(start).Round(time.Millisecond))
	roundTrip("draining, after the withdraw")
	select {
	case err := <-done:
		stopped = true
		t.Fatalf("daemon exited (%v) while a connection was still open and the drain timeout far away", err)
	default:
	}

	conn.Close()
	start = time.Now()
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("daemon: %v", err)
		}
		t.Logf("daemon exited %s after the last connection closed", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * waitLimit):
		t.Fatalf("daemon still running %s after its last connection closed", 2*waitLimit)
	}
}
