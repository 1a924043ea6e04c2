package balancer

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// Failover targets, inside subnet t of this package's range.
const (
	failIPA = "127.0.14.201"
	failIPB = "127.0.14.202"
)

// killable is a plain HTTP target that can die (listener and connections
// closed, as when its process is killed) and come back on the same address.
// It counts the requests that are not health checks, by method.
type killable struct {
	name string
	addr string
	mu   sync.Mutex
	srv  *httptest.Server
	seen map[string]int
}

func newKillable(t *testing.T, name, ip string) *killable {
	t.Helper()
	k := &killable{name: name, addr: net.JoinHostPort(ip, "0"), seen: map[string]int{}}
	k.start(t)
	t.Cleanup(k.kill)
	return k
}

func (k *killable) port() int {
	_, p, _ := net.SplitHostPort(k.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// start listens on the address (a port of its own the first time).
func (k *killable) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", k.addr)
	if err != nil {
		t.Fatal(err)
	}
	k.addr = l.Addr().String() // the port, fixed after the first start
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("User-Agent") != "ELB-HealthChecker/2.0" {
			k.mu.Lock()
			k.seen[r.Method]++
			k.mu.Unlock()
		}
		w.Header().Set("Backend", k.name)
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	k.mu.Lock()
	k.srv = srv
	k.mu.Unlock()
}

func (k *killable) kill() {
	k.mu.Lock()
	srv := k.srv
	k.srv = nil
	k.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (k *killable) count(method string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seen[method]
}

// TestFailover: a target that stops accepting connections costs the client
// nothing for requests without a body (retried on the other target, then
// skipped as suspect) long before the health checks notice; a request with a
// body is not resent; with every target dead the answer is ALB's 502; a
// target that comes back gets traffic again once it passes a health check.
func TestFailover(t *testing.T) {
	e := newEnv(t)
	a := newKillable(t, "a", failIPA)
	b := newKillable(t, "b", failIPB)
	lb := e.createLB(t, "failover")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "failover-targets", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: a.port(),
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2),
			HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: failIPA, Port: a.port()}, {ID: failIPB, Port: b.port()}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18094
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: lport,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	lb = e.waitState(t, lb.ARN, "active")
	node := lb.Nodes[0].IP
	e.waitOpen(t, node, lport)
	url := "http://" + net.JoinHostPort(node, "18094") + "/"

	send := func(method, body string) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.client(false).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Backend")
	}
	health := func() map[string]string {
		t.Helper()
		hs, err := e.svc.DescribeTargetHealth(e.ctx, tg.ARN)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, h := range hs {
			got[h.ID] = h.State
		}
		return got
	}
	// slowChecks makes the next health check after the immediate one 300
	// check seconds away (testCheckSecond each), so whatever follows happens
	// before any check could notice.
	slowChecks := func(interval int) {
		t.Helper()
		if _, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{IntervalSeconds: ptr(interval)}); err != nil {
			t.Fatal(err)
		}
	}
	bothHealthy := func() (bool, string) {
		h := health()
		return h[failIPA] == model.TargetHealthy && h[failIPB] == model.TargetHealthy, h[failIPA] + " " + h[failIPB]
	}

	testutil.Eventually(t, "both targets healthy", bothHealthy)
	testutil.Eventually(t, "traffic on both targets", func() (bool, string) {
		send(http.MethodGet, "")
		return a.count(http.MethodGet) > 0 && b.count(http.MethodGet) > 0, ""
	})
	slowChecks(300)

	t.Run("dead target costs no request", func(t *testing.T) {
		a.kill()
		retries := counterValue(t, e.svc.metrics.retries)
		before := b.count(http.MethodGet)
		const n = 20
		for i := range n {
			if code, from := send(http.MethodGet, ""); code != 200 || from != "b" {
				t.Fatalf("request %d after the kill: got %d from %q, want 200 from b", i, code, from)
			}
		}
		if got := b.count(http.MethodGet) - before; got != n {
			t.Errorf("b served %d of the %d requests, want all", got, n)
		}
		if got := counterValue(t, e.svc.metrics.retries) - retries; got < 1 {
			t.Errorf("retries: got %v, want at least 1 (the request round robin sent to a)", got)
		}
		// a is suspect now: even requests that could not be retried skip it.
		for i := range 2 {
			if code, from := send(http.MethodPost, "x"); code != 200 || from != "b" {
				t.Errorf("POST %d with a suspect: got %d from %q, want 200 from b (passive health skips a)", i, code, from)
			}
		}
		if got := health()[failIPA]; got != model.TargetHealthy {
			t.Errorf("reported health of the dead target: got %q, want %q (active checks only, none ran yet)", got, model.TargetHealthy)
		}
	})

	t.Run("traffic returns after a passed health check", func(t *testing.T) {
		a.start(t)
		slowChecks(5) // the prober restarts and checks at once
		testutil.Eventually(t, "a request served by a", func() (bool, string) {
			code, from := send(http.MethodGet, "")
			return code == 200 && from == "a", from
		})
	})

	t.Run("body not resent", func(t *testing.T) {
		slowChecks(300)
		testutil.Eventually(t, "a request served by a", func() (bool, string) {
			_, from := send(http.MethodGet, "")
			return from == "a", from
		})
		a.kill()
		before := b.count(http.MethodPost)
		// Round robin sends one of two consecutive requests to a, which is
		// dead and not yet suspect.
		var codes []int
		for range 2 {
			code, _ := send(http.MethodPost, `{"order":1}`)
			codes = append(codes, code)
		}
		if n502, n200 := countOf(codes, 502), countOf(codes, 200); n502 != 1 || n200 != 1 {
			t.Errorf("POSTs with a body: got %v, want one 502 (the one sent to the dead target) and one 200", codes)
		}
		if got := b.count(http.MethodPost) - before; got != 1 {
			t.Errorf("b received %d POSTs, want 1: the POST that met the dead target must not be resent", got)
		}
		if code, from := send(http.MethodGet, ""); code != 200 || from != "b" {
			t.Errorf("GET after the POSTs: got %d from %q, want 200 from b", code, from)
		}
	})

	t.Run("all targets dead is 502", func(t *testing.T) {
		b.kill()
		for _, m := range []string{http.MethodGet, http.MethodDelete} {
			if code, _ := send(m, ""); code != 502 {
				t.Errorf("%s with every target dead: got %d, want 502", m, code)
			}
		}
	})
}

func countOf(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestPick: round robin skips this request's tried targets and suspects, but
// never empties the group: with every target left suspect it picks one anyway.
func TestPick(t *testing.T) {
	const arn = "tg"
	var tgts []target
	for _, addr := range []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"} {
		tgts = append(tgts, target{addr: addr, key: checkKey(arn, addr)})
	}
	cases := []struct {
		name    string
		healthy []target
		suspect []string
		tried   []string
		want    []string // successive picks
	}{
		{"round robin over healthy", tgts[:2], nil, nil, []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.1:80"}},
		{"all when none healthy", nil, nil, nil, []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}},
		{"suspect skipped", nil, []string{"10.0.0.2:80"}, nil, []string{"10.0.0.1:80", "10.0.0.3:80", "10.0.0.3:80", "10.0.0.1:80"}},
		{"tried skipped", nil, nil, []string{"10.0.0.1:80"}, []string{"10.0.0.2:80", "10.0.0.2:80", "10.0.0.3:80"}},
		{"all suspect: ALB's choice", tgts[:2], []string{"10.0.0.1:80", "10.0.0.2:80"}, nil, []string{"10.0.0.1:80", "10.0.0.2:80"}},
		{"suspect left after tried", nil, []string{"10.0.0.3:80"}, []string{"10.0.0.1:80", "10.0.0.2:80"}, []string{"10.0.0.3:80"}},
		{"everything tried", tgts[:1], nil, []string{"10.0.0.1:80"}, []string{""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &group{arn: arn, targets: tgts, healthy: c.healthy, next: new(atomic.Uint64)}
			p := newPassive()
			for _, a := range c.suspect {
				p.mark(checkKey(arn, a), time.Hour)
			}
			for i, want := range c.want {
				got := ""
				if tgt := g.pick(p, c.tried); tgt != nil {
					got = tgt.addr
				}
				if got != want {
					t.Errorf("pick %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestPassiveHold: a successful active check clears a suspect, a failed one
// extends it, and neither starts one; the hold-down expires on its own.
func TestPassiveHold(t *testing.T) {
	p := newPassive()
	p.checked("k", false, time.Hour)
	if p.suspect("k") {
		t.Fatal("a failed active check made a target suspect, want active failures left to the thresholds")
	}
	if !p.mark("k", time.Hour) || p.mark("k", time.Hour) {
		t.Error("mark: got no news on the first or news on the second, want true then false")
	}
	p.checked("k", true, time.Hour)
	if p.suspect("k") {
		t.Error("still suspect after a successful active check")
	}
	p.mark("k", -time.Second)
	if p.suspect("k") {
		t.Error("still suspect after the hold-down")
	}
	if n := p.n.Load(); n != 0 {
		t.Errorf("entries left: got %d, want 0", n)
	}
}

// TestTryReleasesContext: a try registers a context on the request's (the
// client connection's; its own under a per-try timeout, else the
// transport's); it is released when the proxy is done with the response,
// whatever the response.
func TestTryReleasesContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/body":
			_, _ = w.Write([]byte("hello"))
		case "/no-content":
			w.WriteHeader(http.StatusNoContent)
		case "/cut":
			panic(http.ErrAbortHandler) // the connection closes: no response
		}
	}))
	defer srv.Close()
	tr := newTransport("", false)
	defer tr.CloseIdleConnections()
	for _, perTry := range []time.Duration{0, time.Minute} {
		for _, path := range []string{"/empty", "/body", "/no-content", "/cut"} {
			t.Run(fmt.Sprintf("per-try %v %s", perTry, path), func(t *testing.T) {
				conn := newRegistrations()
				req, _ := http.NewRequestWithContext(conn, "GET", srv.URL+path, nil)
				res, err := forwarder{}.try(tr, req, perTry)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				} else if path != "/cut" {
					t.Fatal(err)
				}
				conn.released(t)
			})
		}
	}
}
