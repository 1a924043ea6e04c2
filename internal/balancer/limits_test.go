package balancer

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// plainBackend is an HTTP target at ip; t.Cleanup closes it.
func plainBackend(t *testing.T, ip string, h http.HandlerFunc) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().(*net.TCPAddr).Port
}

// forwardListener creates an HTTP target group with one target at
// targetIP:tport and an HTTP listener on lport forwarding to it; it returns the
// address of the listener on the first node.
func forwardListener(t *testing.T, e *env, lb *model.LoadBalancer, name string, tport, lport int) string {
	t.Helper()
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: name, Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: tport})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: lport,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	lb = e.waitState(t, lb.ARN, "active")
	e.waitOpen(t, lb.Nodes[0].IP, lport)
	return net.JoinHostPort(lb.Nodes[0].IP, strconv.Itoa(lport))
}

func dialClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIdleTimeout: with idle_timeout.timeout_seconds 1, a client trickling its
// request body slower than that is cut off; a target slower than that still
// answers (only the client side's silence counts). A second of idle timeout
// is idleSecond here, so the test waits tenths of a second, not seconds.
func TestIdleTimeout(t *testing.T) {
	const idleSecond = 100 * time.Millisecond
	e := newEnv(t, func(d *Deps) { d.IdleTimeoutSecond = idleSecond })
	port := plainBackend(t, targetIP, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/slow" {
			time.Sleep(3 * idleSecond)
		}
		_, _ = w.Write([]byte("done"))
	})
	lb := e.createLB(t, "idle")
	if _, err := e.svc.ModifyLoadBalancerAttributes(e.ctx, lb.ARN, map[string]string{"idle_timeout.timeout_seconds": "1"}); err != nil {
		t.Fatal(err)
	}
	addr := forwardListener(t, e, lb, "idle-targets", port, 18090)

	t.Run("trickled body is cut off", func(t *testing.T) {
		c := dialClient(t, addr)
		if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			_, _ = io.Copy(io.Discard, c) // until the balancer closes the connection
		}()
		// One byte every 3 idle seconds, slower than the idle timeout of 1;
		// at most 20 bytes, well short of the 100 announced.
		for range 20 {
			select {
			case <-closed:
				return
			case <-time.After(3 * idleSecond):
			}
			_, _ = c.Write([]byte("x"))
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("got the connection still open after 20 trickled bytes, want it closed by the idle timeout")
		}
	})

	t.Run("slow target still answers", func(t *testing.T) {
		c := dialClient(t, addr)
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		req, _ := http.NewRequest(http.MethodGet, "http://x/slow", nil)
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			t.Fatalf("got %v, want the target's answer (waiting for the target is not client idleness)", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "done" {
			t.Fatalf("got %d %q, want 200 \"done\"", res.StatusCode, body)
		}
	})
}

// TestSSLPolicy: a TLS13-1-3 listener refuses a client that speaks at most TLS
// 1.2; the default policy accepts it.
func TestSSLPolicy(t *testing.T) {
	e := newEnv(t)
	lb := e.createLB(t, "tls")
	listeners := []struct {
		policy string
		port   int
	}{{DefaultSSLPolicy, 18445}, {"ELBSecurityPolicy-TLS13-1-3-2021-06", 18446}}
	for _, l := range listeners {
		if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: l.port,
			SslPolicy: l.policy, Certificates: []model.ListenerCertificate{{CertificateARN: testCertARN}},
			DefaultActions: []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	lb = e.waitState(t, lb.ARN, "active")
	node := lb.Nodes[0].IP
	for _, l := range listeners {
		e.waitOpen(t, node, l.port)
	}
	cases := []struct {
		name       string
		port       int
		maxVersion uint16
		wantOK     bool
	}{
		{"default policy, TLS 1.2 client", 18445, tls.VersionTLS12, true},
		{"default policy, TLS 1.3 client", 18445, tls.VersionTLS13, true},
		{"TLS13-1-3 policy, TLS 1.2 client", 18446, tls.VersionTLS12, false},
		{"TLS13-1-3 policy, TLS 1.3 client", 18446, tls.VersionTLS13, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := dialClient(t, net.JoinHostPort(node, strconv.Itoa(c.port)))
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			tc := tls.Client(conn, &tls.Config{RootCAs: e.pool, ServerName: testDomain, MaxVersion: c.maxVersion})
			err := tc.Handshake()
			if (err == nil) != c.wantOK {
				t.Fatalf("handshake: got error %v, want success %v", err, c.wantOK)
			}
		})
	}
}

// TestUpgradeEndsWithRun: an upgraded (hijacked) stream through the balancer
// is closed when Run ends, not left running behind it.
func TestUpgradeEndsWithRun(t *testing.T) {
	e := newEnv(t)
	port := plainBackend(t, targetIP, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_, _ = io.Copy(c, brw) // echo until the balancer closes its side
	})
	lb := e.createLB(t, "upgrade")
	addr := forwardListener(t, e, lb, "upgrade-targets", port, 18092)

	c := dialClient(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("got %d, want 101", res.StatusCode)
	}
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := br.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("echo: got %q %v, want \"ping\\n\"", line, err)
	}

	e.stop()
	// The default idle timeout is 60 s; the 20 s deadline tells Run's
	// teardown from it.
	_, err = br.ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("got the upgraded stream still open after Run returned, want it closed")
	}
	if err == nil {
		t.Fatal("got data after Run returned, want the stream closed")
	}
}

// TestHealthDecidesTarget: with two targets and a matcher only one satisfies,
// every request reaches the healthy one; when neither is healthy, requests
// reach both (fail open).
func TestHealthDecidesTarget(t *testing.T) {
	e := newEnv(t)
	_, portA := backend(t) // targetIP: 403 to health checks, "hello from target"
	const ipB = "127.0.14.201"
	portB := plainBackendTLS(t, ipB)
	lb := e.createLB(t, "health")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "two-targets", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: portA,
		HealthCheck: HealthCheckInput{Matcher: ptr("403"), IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2),
			HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// B first: an implementation that always takes the first target hits B.
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: ipB, Port: portB}, {ID: targetIP, Port: portA}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18447
	node := e.httpsForward(t, lb, tg.ARN, lport)
	url := "https://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"
	a, b := net.JoinHostPort(targetIP, strconv.Itoa(portA)), net.JoinHostPort(ipB, strconv.Itoa(portB))

	// served collects which backends answer n requests.
	served := func(t *testing.T, n int) map[string]int {
		t.Helper()
		got := map[string]int{}
		for range n {
			res, err := e.get(false, url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			got[string(body)]++
		}
		return got
	}

	t.Run("only the healthy target", func(t *testing.T) {
		e.waitHealthOf(t, tg.ARN, map[string]string{a: model.TargetHealthy, b: model.TargetUnhealthy})
		got := served(t, 6)
		if got["hello from target"] != 6 {
			t.Fatalf("got %v, want all 6 requests at the healthy target", got)
		}
	})

	t.Run("fail open when both unhealthy", func(t *testing.T) {
		if _, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{Matcher: ptr("404")}); err != nil {
			t.Fatal(err)
		}
		e.waitHealthOf(t, tg.ARN, map[string]string{a: model.TargetUnhealthy, b: model.TargetUnhealthy})
		got := served(t, 4)
		if got["hello from target"] == 0 || got["hello from b"] == 0 {
			t.Fatalf("got %v, want requests at both targets", got)
		}
	})
}

// plainBackendTLS is an HTTPS target at ip answering 200 "hello from b" to
// everything, health checks included.
func plainBackendTLS(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello from b"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return l.Addr().(*net.TCPAddr).Port
}

// waitHealthOf waits until the stored health has each "ip:port" in want in its
// state, and the data plane serves a table with that health.
func (e *env) waitHealthOf(t *testing.T, tgARN string, want map[string]string) {
	t.Helper()
	var rev int64
	testutil.Eventually(t, fmt.Sprint("target health ", want), func() (bool, string) {
		h, r, err := store.Load[model.TargetHealth](e.ctx, e.st, model.Key(model.KindTargetHealth, tgARN))
		if err != nil {
			return false, err.Error()
		}
		var states []string
		ok := true
		for _, s := range h.Targets {
			addr := net.JoinHostPort(s.ID, strconv.Itoa(s.Port))
			states = append(states, addr+"="+s.State)
			if w, in := want[addr]; in && w != s.State {
				ok = false
			}
		}
		rev = r
		return ok && len(h.Targets) == len(want), strings.Join(states, " ")
	})
	testutil.Eventually(t, "table with that health served", func() (bool, string) {
		return e.svc.Served() >= rev, fmt.Sprint(e.svc.Served(), " < ", rev)
	})
}
