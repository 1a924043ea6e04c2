package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"gatehouse/internal/daemon"
	"gatehouse/internal/gateway"
)

// BenchmarkChain is the whole chain in one process: HTTPS keep-alive GET /
// through a static IP (accelerator → balancer → endpoint → gateway MOCK 200),
// with in-process hand-off on and off. Allocations are the process's, the
// client's included. Run as root:
//
//	go test ./test/e2e -run XXX -bench BenchmarkChain -benchtime 5s
func BenchmarkChain(b *testing.B) {
	needRoot(b)
	for _, on := range []bool{true, false} {
		b.Run("handoff="+strconv.FormatBool(on), func(b *testing.B) {
			ip, dataDir := benchDaemon(b, on)
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
// and returns its first static IP and its data directory; it stops with b.
func benchDaemon(b *testing.B, handoff bool) (ip, dataDir string) {
	b.Helper()
	r := start(b, addressPlan("127.105.0.0/16", "127.106.1.0/24", "127.106.2.0/24"), func(c *daemon.Config) {
		c.Handoff = handoff
		// API Gateway's account throttle (10,000 rps) would answer 429 to a
		// chain faster than that: the benchmark measures serving, not refusing.
		c.AccountThrottle = gateway.ThrottleSettings{Rate: 1e9, Burst: 1e9}
		c.Log = slog.New(slog.DiscardHandler)
	})
	r.apply(b, loadExample(b))
	return acceleratorIPs(b, r.d.Store)[0], r.cfg.DataDir
}
