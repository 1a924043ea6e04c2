package balancer

import (
	"bufio"
	"cmp"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// benchTargetIP is the benchmark's backend, inside subnet t.
const benchTargetIP = "127.0.14.215"

// fixedBackend is a keep-alive HTTP/1.1 server that answers every request
// (GETs without a body: the benchmark's and the health checks') with the same
// 1 KB response and does nothing else, so a profile of the hop shows the
// balancer, not the backend.
func fixedBackend(tb testing.TB, https bool) int {
	tb.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(benchTargetIP, "0"))
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if https {
		certPEM, keyPEM, _ := testutil.SelfSigned(tb, "target.test")
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			tb.Fatal(err)
		}
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	tb.Cleanup(func() { l.Close() })
	body := strings.Repeat("x", 1024)
	res := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					// Headers end with an empty line; there is no body.
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(res); err != nil {
						return
					}
				}
			}()
		}
	}()
	return port
}

// BenchmarkL7Hop is one hop through the balancer: a keep-alive client, an
// HTTP or HTTPS listener forwarding to a keep-alive backend that answers
// 1 KB over HTTP (and, for HTTP-to-HTTPS-target, over TLS). Allocations per
// op include the client's (net/http) and are compared before and after a
// change, not read as the balancer's alone; cpu-ns/op is the process's CPU
// (client and backend included) per request.
//
//	go test ./internal/balancer/ -run '^$' -bench L7Hop -benchmem -cpuprofile /tmp/l7.prof
func BenchmarkL7Hop(b *testing.B) {
	e := newEnv(b)
	lb := e.createLB(b, "bench")
	group := func(name string, https bool) string {
		port := fixedBackend(b, https)
		protocol := "HTTP"
		if https {
			protocol = "HTTPS"
		}
		tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
			Name: name, Protocol: protocol, TargetType: "ip", VpcID: testVPC, Port: port,
			HealthCheck: HealthCheckInput{IntervalSeconds: ptr(300)},
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: benchTargetIP, Port: port}}); err != nil {
			b.Fatal(err)
		}
		return tg.ARN
	}
	plainTG, tlsTG := group("bench-targets", false), group("bench-tls-targets", true)
	const httpsPort, httpPort, toTLSPort = 18470, 18471, 18475
	node := e.httpsForward(b, lb, plainTG, httpsPort)
	for _, l := range []struct {
		port int
		tg   string
	}{{httpPort, plainTG}, {toTLSPort, tlsTG}} {
		if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: l.port,
			DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: l.tg}}}); err != nil {
			b.Fatal(err)
		}
		e.waitOpen(b, node, l.port)
	}

	for _, c := range []struct {
		name, scheme string
		port         int
	}{{"HTTP", "http", httpPort}, {"HTTPS", "https", httpsPort}, {"HTTP-to-HTTPS-target", "http", toTLSPort}} {
		b.Run(c.name, func(b *testing.B) {
			d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
			tr := &http.Transport{
				DialContext:         d.DialContext,
				TLSClientConfig:     &tls.Config{RootCAs: e.pool, ServerName: testDomain},
				MaxIdleConnsPerHost: 64,
			}
			defer tr.CloseIdleConnections()
			url := c.scheme + "://" + net.JoinHostPort(node, strconv.Itoa(c.port)) + "/"
			b.ReportAllocs()
			b.SetParallelism(4) // connections per GOMAXPROCS
			b.ResetTimer()
			cpu := cpuTime()
			defer func() { b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op") }()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Host = testDomain
				for pb.Next() {
					res, err := tr.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("got %d, want 200", res.StatusCode)
						return
					}
				}
			})
		})
	}
}

// cpuTime is the CPU this process used so far (user and system), in
// nanoseconds: on a shared machine it measures the cost of an op where the
// wall clock measures the neighbours too. It counts the client's and the
// backend's share as well, the same before and after a change.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestHoldForWrk serves one hop for an outside load generator and is skipped
// unless BALANCER_HOLD_BACKEND names an HTTP backend ("ip:port", inside
// 127.0.14.192/26): it creates a load balancer with an HTTP listener on port
// 18482 forwarding to it, prints the listener's address and serves for
// BALANCER_HOLD (a duration, default 60s). For comparing the hop with
// nginx's proxy_pass under wrk, the process pinned as the peer is.
func TestHoldForWrk(t *testing.T) {
	backendAddr := os.Getenv("BALANCER_HOLD_BACKEND")
	if backendAddr == "" {
		t.Skip("BALANCER_HOLD_BACKEND not set")
	}
	hold, err := time.ParseDuration(cmp.Or(os.Getenv("BALANCER_HOLD"), "60s"))
	if err != nil {
		t.Fatal(err)
	}
	host, p, err := net.SplitHostPort(backendAddr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	e := newEnv(t)
	lb := e.createLB(t, "hold")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "hold-targets", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: port,
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(300)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: host, Port: port}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18482
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: lport,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	node := e.waitState(t, lb.ARN, "active").Nodes[0].IP
	e.waitOpen(t, node, lport)
	fmt.Printf("listening http://%s/\n", net.JoinHostPort(node, strconv.Itoa(lport)))
	time.Sleep(hold)
}
