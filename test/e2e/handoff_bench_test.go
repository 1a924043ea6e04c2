package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"gatehouse/internal/daemon"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/stack"
	"gatehouse/internal/store"
)

// BenchmarkChain is the whole chain in one process: HTTPS keep-alive GET /
// through a static IP (accelerator → balancer → endpoint → gateway MOCK 200),
// with in-process hand-off on and off. Allocations are the process's, the
// client's included. Run as root:
//
//	go test ./test/e2e -run XXX -bench BenchmarkChain -benchtime 5s
func BenchmarkChain(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("binds port 443 on loopback addresses: run as root")
	}
	for _, on := range []bool{true, false} {
		b.Run("handoff="+strconv.FormatBool(on), func(b *testing.B) {
			ip, dataDir, stop := benchDaemon(b, on)
			defer stop()
			tr := &http.Transport{
				TLSClientConfig:     &tls.Config{RootCAs: caPool(b, dataDir)},
				MaxIdleConnsPerHost: 64,
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(ip, "443"))
				},
			}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			b.ReportAllocs()
			b.SetParallelism(16) // 32 client connections on 2 cores, as the wrk comparison
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := c.Get("https://" + domain + "/")
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("GET /: got %d, want 200", res.StatusCode)
						return
					}
				}
			})
		})
	}
}

// benchDaemon serves the example stack on the hand-off tests' address plan
// and returns its first static IP, its data directory and how to stop it.
func benchDaemon(b *testing.B, handoff bool) (ip, dataDir string, stop func()) {
	b.Helper()
	cfg := daemon.Defaults()
	cfg.DataDir = b.TempDir()
	cfg.DNSListen = freeAddr(b) // the certificate validation asks it: a real port
	cfg.AWSListen = ""
	addressPlan("127.105.0.0/16", "127.106.1.0/24", "127.106.2.0/24")(&cfg)
	cfg.Handoff = handoff
	// API Gateway's account throttle (10,000 rps) would answer 429 to a chain
	// faster than that: the benchmark measures serving, not refusing.
	cfg.AccountThrottle = gateway.ThrottleSettings{Rate: 1e9, Burst: 1e9}
	cfg.Log = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		b.Fatalf("daemon stopped at start: %v", err)
	}
	stop = func() { cancel(); <-done }
	f, err := os.Open(exampleFile)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	file, err := stack.Parse(f)
	if err != nil {
		b.Fatal(err)
	}
	actx, acancel := context.WithTimeout(ctx, waitLimit)
	defer acancel()
	if err := stack.Apply(actx, d.Services(), file); err != nil {
		b.Fatal(err)
	}
	if err := stack.WaitReady(actx, d.Services(), file); err != nil {
		b.Fatal(err)
	}
	accs, err := store.LoadAll[model.Accelerator](ctx, d.Store, model.Prefix(model.KindAccelerator))
	if err != nil || len(accs) != 1 || len(accs[0].IPSets) == 0 || len(accs[0].IPSets[0].IPAddresses) == 0 {
		b.Fatalf("accelerators: got %d, %v; want one with static IPs", len(accs), err)
	}
	return accs[0].IPSets[0].IPAddresses[0], cfg.DataDir, stop
}
