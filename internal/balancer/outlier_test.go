package balancer

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// stallable is a plain HTTP target that can hang as a process stopped with
// SIGSTOP does (its kernel still accepts connections and takes the request
// bytes; nothing answers, health checks included), resume, and be killed
// (listener and connections closed). It counts the requests that are not
// health checks when they arrive, answered or not.
type stallable struct {
	name, addr string
	seen       atomic.Int64
	mu         sync.Mutex
	stalled    chan struct{} // non-nil while hung; closed to resume
	srv        *httptest.Server
}

func newStallable(t *testing.T, name, ip string) *stallable {
	t.Helper()
	return newStallableProto(t, name, ip, false)
}

// newStallableProto is newStallable speaking HTTPS when https is set.
func newStallableProto(t *testing.T, name, ip string, https bool) *stallable {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s := &stallable{name: name, addr: l.Addr().String()}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "ELB-HealthChecker/2.0" {
			s.seen.Add(1)
		}
		s.mu.Lock()
		stalled := s.stalled
		s.mu.Unlock()
		if stalled != nil {
			select {
			case <-stalled:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Backend", s.name)
		_, _ = w.Write([]byte("ok"))
	}))
	s.srv.Listener.Close()
	s.srv.Listener = l
	if https {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(func() { s.resume(); s.srv.Close() })
	return s
}

func (s *stallable) port() int { return s.srv.Listener.Addr().(*net.TCPAddr).Port }

func (s *stallable) hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stalled == nil {
		s.stalled = make(chan struct{})
	}
}

func (s *stallable) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stalled != nil {
		close(s.stalled)
		s.stalled = nil
	}
}

func (s *stallable) kill() { s.srv.Close() }

// load sends GETs from several goroutines over keep-alive TLS connections
// until stop is called, which waits for them and returns how many were sent
// and the failures (an error or a status other than 200). header, if given,
// is a name and a value every request carries.
func (e *env) load(t *testing.T, url string, workers int, header ...string) (stop func() (sent int, failures []string)) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: e.pool, ServerName: testDomain},
		MaxIdleConnsPerHost: workers,
	}
	client := &http.Client{Timeout: 90 * time.Second, Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		sent     int
		failures []string
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Host = testDomain
				if len(header) == 2 {
					req.Header.Set(header[0], header[1])
				}
				res, err := client.Do(req)
				failure := ""
				if err != nil {
					failure = err.Error()
				} else {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						failure = "status " + strconv.Itoa(res.StatusCode)
					}
				}
				mu.Lock()
				sent++
				if failure != "" {
					failures = append(failures, failure)
				}
				mu.Unlock()
			}
		}()
	}
	return func() (int, []string) {
		cancel()
		wg.Wait()
		tr.CloseIdleConnections()
		mu.Lock()
		defer mu.Unlock()
		return sent, failures
	}
}

// TestHungTarget: a target that stops answering under load (it still accepts
// connections and takes requests, as a process stopped with SIGSTOP does)
// costs the clients no GET: the requests caught on it are sent to another
// target when the per-try timeout passes, and after a few of those it is
// ejected and receives nothing more, long before its health checks (a 2 s
// timeout each, two to fail) could say so. Once it answers its health checks
// again it gets traffic again. A target killed under load costs no GET either.
func TestHungTarget(t *testing.T) {
	e := newEnv(t)
	backends := []*stallable{
		newStallable(t, "a", "127.0.14.210"),
		newStallable(t, "b", "127.0.14.211"),
		newStallable(t, "c", "127.0.14.212"),
	}
	lb := e.createLB(t, "hung")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "hung-targets", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: backends[0].port(),
		// A check every 500 ms (25 check seconds): an ejected target's
		// hold-down (2 intervals + the 2 s timeout) outlasts the next
		// failed check by a margin a busy machine does not eat.
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(25), TimeoutSeconds: ptr(2),
			HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var targets []model.Target
	for _, b := range backends {
		host, _, _ := net.SplitHostPort(b.addr)
		targets = append(targets, model.Target{ID: host, Port: b.port()})
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, targets); err != nil {
		t.Fatal(err)
	}
	const lport = 18460
	node := e.httpsForward(t, lb, tg.ARN, lport)
	url := "https://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"
	e.waitAllHealthy(t, tg.ARN, len(backends))
	ejections := func(reason string) float64 {
		return counterValue(t, e.svc.metrics.ejections.WithLabelValues(reason))
	}
	// Enough requests that the group's latency is known: the per-try timeout
	// is then its floor rather than the cold-start one.
	stop := e.load(t, url, 6)
	testutil.Eventually(t, "a latency window closed", func() (bool, string) {
		p := e.svc.passive.latencyOf(tg.ARN).p99.Load()
		return p > 0, ""
	})
	if sent, failures := stop(); len(failures) > 0 {
		t.Fatalf("warm-up: %d of %d GETs failed: %v", len(failures), sent, failures[0])
	}

	hung := backends[2]
	t.Run("hung target costs no GET and is ejected", func(t *testing.T) {
		before := ejections("timeout")
		stop := e.load(t, url, 6)
		hung.hang()
		hungAt := time.Now()
		testutil.Eventually(t, "the hung target ejected", func() (bool, string) {
			got := ejections("timeout") - before
			return got >= 1, fmt.Sprintf("timeout ejections %v", got)
		})
		// Logged, not asserted: the machine's load decides it.
		t.Logf("ejected within %v of hanging", time.Since(hungAt).Round(time.Millisecond))
		sent, failures := stop()
		if len(failures) > 0 {
			t.Fatalf("%d of %d GETs failed while a target hung, want 0: first %v", len(failures), sent, failures[0])
		}
		// Every request that could reach it has ended: from here on it
		// gets none.
		caught := hung.seen.Load()
		stop = e.load(t, url, 6)
		for _, b := range backends[:2] {
			base := b.seen.Load()
			testutil.Eventually(t, "traffic on "+b.name, func() (bool, string) {
				return b.seen.Load()-base >= 100, ""
			})
		}
		sent, failures = stop()
		if len(failures) > 0 {
			t.Errorf("%d of %d GETs failed with the hung target ejected, want 0: first %v", len(failures), sent, failures[0])
		}
		if got := hung.seen.Load() - caught; got != 0 {
			t.Errorf("the ejected target received %d of %d requests, want 0", got, sent)
		}
	})

	t.Run("back in rotation once it answers health checks", func(t *testing.T) {
		hung.resume()
		base := hung.seen.Load()
		stop := e.load(t, url, 2)
		testutil.Eventually(t, "traffic on the resumed target", func() (bool, string) {
			return hung.seen.Load() > base, ""
		})
		if sent, failures := stop(); len(failures) > 0 {
			t.Errorf("%d of %d GETs failed after the target resumed, want 0: first %v", len(failures), sent, failures[0])
		}
	})

	t.Run("killed target costs no GET", func(t *testing.T) {
		stop := e.load(t, url, 6)
		killed := backends[1]
		base := killed.seen.Load()
		testutil.Eventually(t, "traffic on the target before it is killed", func() (bool, string) {
			return killed.seen.Load()-base >= 50, ""
		})
		killed.kill()
		for _, b := range []*stallable{backends[0], backends[2]} {
			base := b.seen.Load()
			testutil.Eventually(t, "traffic on "+b.name+" after the kill", func() (bool, string) {
				return b.seen.Load()-base >= 100, ""
			})
		}
		if sent, failures := stop(); len(failures) > 0 {
			t.Errorf("%d of %d GETs failed after a target was killed, want 0: first %v", len(failures), sent, failures[0])
		}
		if got := ejections("connect"); got < 1 {
			t.Errorf("connect ejections: got %v, want at least 1", got)
		}
	})
}

// TestPerTryTimeout: the per-try timeout follows the group's recent high
// latency, never below the floor nor above the response timeout, and is the
// cold-start value until a window of latencies has been seen.
func TestPerTryTimeout(t *testing.T) {
	cases := []struct {
		name    string
		samples []time.Duration
		limit   time.Duration
		want    time.Duration
	}{
		{"cold start", nil, responseTimeout, perTryColdStart},
		{"half a window is still cold", repeat(time.Millisecond, latencyWindow/2), responseTimeout, perTryColdStart},
		{"fast group: the floor", repeat(time.Millisecond, latencyWindow), responseTimeout, perTryFloor},
		// 300 ms falls in the bucket [262.144 ms, 524.288 ms): 3 × its upper bound.
		{"slow group: a multiple of its p99", repeat(300*time.Millisecond, latencyWindow), responseTimeout, 3 * 524288 * time.Microsecond},
		{"1% slow requests do not move the p99", append(repeat(time.Millisecond, latencyWindow-2), 5*time.Second, 5*time.Second), responseTimeout, perTryFloor},
		{"capped by the response timeout", repeat(40*time.Second, latencyWindow), responseTimeout, responseTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l latency
			for _, d := range c.samples {
				l.observe(d)
			}
			if got := l.perTry(c.limit); got != c.want {
				t.Errorf("perTry: got %v, want %v", got, c.want)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// TestEjectCap: no more than maxEjected of a group are ejected at once, a
// target already ejected can be held longer, and consecutive failures are
// counted until a success or a forgiveness ends the run.
func TestEjectCap(t *testing.T) {
	cases := []struct {
		name    string
		targets int
		eject   int // ejections tried, one target each
		want    int // ejected
	}{
		{"one target: never ejected", 1, 1, 0},
		{"two: one", 2, 2, 1},
		{"three: one", 3, 3, 1},
		{"four: two", 4, 4, 2},
		{"ten: five", 10, 10, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &group{arn: "tg", next: new(atomic.Uint64)}
			for i := range c.targets {
				addr := fmt.Sprintf("10.0.0.%d:80", i+1)
				g.targets = append(g.targets, target{addr: addr, key: checkKey(g.arn, addr)})
			}
			p := newPassive()
			got := 0
			for i := range c.eject {
				if p.eject(g, &g.targets[i], time.Hour) {
					got++
				}
			}
			if got != c.want {
				t.Errorf("ejected: got %d, want %d", got, c.want)
			}
		})
	}

	p := newPassive()
	for i := 1; i <= 2; i++ {
		if got := p.failed("k"); got != i {
			t.Fatalf("failed %d: got run %d, want %d", i, got, i)
		}
	}
	p.succeeded("k")
	if got := p.failed("k"); got != 1 {
		t.Errorf("after a success: got run %d, want 1", got)
	}
	p.forgive("k")
	if got := p.failed("k"); got != 1 {
		t.Errorf("after forgiveness: got run %d, want 1", got)
	}
}
