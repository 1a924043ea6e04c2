package balancer

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestForwardHealthAndProxyProtocol walks the reference setup: HTTPS listener
// with the certificate, HTTPS target group with matcher 403, one target.
func TestForwardHealthAndProxyProtocol(t *testing.T) {
	e := newEnv(t)
	_, port := backend(t)
	lb := e.createLB(t, "edge")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "api-targets", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: port,
		HealthCheck: HealthCheckInput{Matcher: ptr("403"), IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2),
			HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)},
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}
	const lport = 18443
	node := e.httpsForward(t, lb, tg.ARN, lport)
	url := "https://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"

	t.Run("forward", func(t *testing.T) {
		res, err := e.get(false, url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "hello from target" {
			t.Fatalf("got %d %q, want 200 from the target", res.StatusCode, body)
		}
		checks := []struct{ name, got, want string }{
			{"X-Forwarded-For", res.Header.Get("Echo-XFF"), clientIP},
			{"X-Forwarded-Proto", res.Header.Get("Echo-Proto"), "https"},
			{"X-Forwarded-Port", res.Header.Get("Echo-Port"), strconv.Itoa(lport)},
			{"Host", res.Header.Get("Echo-Host"), testDomain},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
			}
		}
		if peer, _, _ := net.SplitHostPort(res.Header.Get("Echo-Peer")); peer != node {
			t.Errorf("target saw peer %q, want the node IP %s", peer, node)
		}
		if tr := res.Header.Get("Echo-Trace"); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(tr) {
			t.Errorf("X-Amzn-Trace-Id: got %q, want Root=1-<8 hex>-<24 hex>", tr)
		}
	})

	t.Run("http2", func(t *testing.T) {
		res, err := e.get(true, url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.ProtoMajor != 2 || res.StatusCode != 200 {
			t.Fatalf("got %s %d, want HTTP/2.0 200", res.Proto, res.StatusCode)
		}
	})

	t.Run("healthy", func(t *testing.T) {
		e.waitHealth(t, tg.ARN, model.TargetHealthy, "")
	})

	t.Run("trusted proxy header", func(t *testing.T) {
		res := proxied(t, e, trustedIP, node, lport)
		if got := res.Header.Get("Echo-XFF"); got != "203.0.113.7" {
			t.Fatalf("X-Forwarded-For: got %q, want 203.0.113.7 (the PROXY header's source)", got)
		}
	})

	t.Run("untrusted proxy header refused", func(t *testing.T) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", net.JoinHostPort(node, strconv.Itoa(lport)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		writeProxyHeader(t, c, node, lport)
		tc := tls.Client(c, &tls.Config{RootCAs: e.pool, ServerName: testDomain})
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err == nil {
			t.Fatal("got a TLS handshake after a PROXY header from an untrusted source, want the connection refused")
		}
	})

	t.Run("matcher change makes it unhealthy", func(t *testing.T) {
		if _, err := e.svc.ModifyTargetGroup(e.ctx, tg.ARN, HealthCheckInput{Matcher: ptr("200")}); err != nil {
			t.Fatal(err)
		}
		got := e.waitHealth(t, tg.ARN, model.TargetUnhealthy, model.ReasonResponseCodeMismatch)
		if want := "Health checks failed with these codes: [403]"; got.Description != want {
			t.Errorf("description: got %q, want %q", got.Description, want)
		}
	})

	t.Run("fail open when all unhealthy", func(t *testing.T) {
		res, err := e.get(false, url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("got %d, want 200 (ALB routes to all targets when none is healthy)", res.StatusCode)
		}
	})
}

func writeProxyHeader(t *testing.T, c net.Conn, node string, port int) {
	t.Helper()
	h := proxyproto.HeaderProxyFromAddrs(2,
		&net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 40000},
		&net.TCPAddr{IP: net.ParseIP(node), Port: port})
	if _, err := h.WriteTo(c); err != nil {
		t.Fatal(err)
	}
}

// proxied sends one request through a connection from src that opens with a
// PROXY v2 header naming 203.0.113.7 as the client.
func proxied(t *testing.T, e *env, src, node string, port int) *http.Response {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", net.JoinHostPort(node, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	writeProxyHeader(t, c, node, port)
	res, err := e.getOverTLS(c)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("got %d, want 200", res.StatusCode)
	}
	return res
}

// TestErrorsAndFixedResponse: no targets → 503 page; a fixed-response action.
func TestErrorsAndFixedResponse(t *testing.T) {
	e := newEnv(t)
	lb := e.createLB(t, "plain")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "empty", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	listeners := []CreateListenerInput{
		{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18080, DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}},
		{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18081, DefaultActions: []model.Action{{Type: "fixed-response",
			FixedResponse: &model.FixedResponse{StatusCode: "418", ContentType: "application/json", MessageBody: `{"teapot":true}`}}}},
	}
	for _, in := range listeners {
		if _, err := e.svc.CreateListener(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	lb = e.waitState(t, lb.ARN, "active")
	node := lb.Nodes[1].IP
	e.waitOpen(t, node, 18080)
	e.waitOpen(t, node, 18081)
	cases := []struct {
		name       string
		port       int
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"no registered targets", 18080, 503, "text/html", "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>"},
		{"fixed response", 18081, 418, "application/json", `{"teapot":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.client(false).Get("http://" + net.JoinHostPort(node, strconv.Itoa(c.port)) + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.wantStatus || res.Header.Get("Content-Type") != c.wantType || !strings.HasPrefix(string(body), c.wantBody) {
				t.Errorf("got %d %q %q, want %d %q %q…", res.StatusCode, res.Header.Get("Content-Type"), body, c.wantStatus, c.wantType, c.wantBody)
			}
			if got := res.Header.Get("Server"); got != serverHeader {
				t.Errorf("Server: got %q, want %q", got, serverHeader)
			}
		})
	}

	t.Run("target unreachable is 502", func(t *testing.T) {
		// A port nobody listens on: the connection is refused, as a TCP RST from a target.
		l, err := net.Listen("tcp", net.JoinHostPort(targetIP, "0"))
		if err != nil {
			t.Fatal(err)
		}
		dead := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP, Port: dead}}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "502 from a dead target", func() (bool, string) {
			res, err := e.client(false).Get("http://" + net.JoinHostPort(node, "18080") + "/")
			if err != nil {
				return false, err.Error()
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode == 502 && strings.Contains(string(body), "502 Bad Gateway"), strconv.Itoa(res.StatusCode)
		})
	})
}

// TestBusyPort: a listener whose port is taken fails the load balancer with the
// socket error, and recovers once the port is free.
func TestBusyPort(t *testing.T) {
	e := newEnv(t)
	blocker, err := net.Listen("tcp", "127.0.14.4:18444") // the first node IP of subnet a
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	lb := e.createLB(t, "busy")
	if lb.Nodes[0].IP != "127.0.14.4" {
		t.Fatalf("first node got %s, want 127.0.14.4", lb.Nodes[0].IP)
	}
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18444,
		DefaultActions: []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}}); err != nil {
		t.Fatal(err)
	}
	got := e.waitState(t, lb.ARN, "failed")
	if !strings.Contains(got.StateReason, "127.0.14.4:18444") || !strings.Contains(got.StateReason, "address already in use") {
		t.Errorf("reason: got %q, want the address and 'address already in use'", got.StateReason)
	}
	blocker.Close()
	e.waitState(t, lb.ARN, "active")
}
