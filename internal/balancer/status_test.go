package balancer

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// statusEnv is a load balancer with an HTTPS and an HTTP listener forwarding
// to one plain HTTP target that echoes the request body it read whole.
type statusEnv struct {
	*env
	https, http string // listener addresses on the first node

	mu     sync.Mutex
	bodies []string // POST bodies the target read whole, in order
}

func newStatusEnv(t *testing.T) *statusEnv {
	t.Helper()
	se := &statusEnv{env: newEnv(t)}
	port := plainBackend(t, targetIP, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return // a body cut short: the balancer's problem to answer
		}
		if r.Method == http.MethodPost { // not the health checks' GETs
			se.mu.Lock()
			se.bodies = append(se.bodies, string(b))
			se.mu.Unlock()
		}
		_, _ = w.Write(b)
	})
	lb := se.createLB(t, "status")
	tg, err := se.svc.CreateTargetGroup(se.ctx, CreateTGInput{Name: "status-targets", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	if err := se.svc.RegisterTargets(se.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	const httpsPort, httpPort = 18460, 18461
	for _, in := range []CreateListenerInput{
		{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: httpsPort, Certificates: []model.ListenerCertificate{{CertificateARN: testCertARN}},
			DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}},
		{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: httpPort, DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}},
	} {
		if _, err := se.svc.CreateListener(se.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	lb = se.waitState(t, lb.ARN, "active")
	node := lb.Nodes[0].IP
	se.waitOpen(t, node, httpsPort)
	se.waitOpen(t, node, httpPort)
	se.https = net.JoinHostPort(node, strconv.Itoa(httpsPort))
	se.http = net.JoinHostPort(node, strconv.Itoa(httpPort))
	return se
}

// raw sends raw bytes on a new connection (TLS with ALPN http/1.1 when tlsOn)
// and returns the status and body of the answer, or status 0 when the
// balancer closed the connection without one. The bytes are written while the
// answer is read: the balancer may answer and close before taking them all.
func (se *statusEnv) raw(t *testing.T, tlsOn bool, raw string) (int, string) {
	t.Helper()
	addr := se.http
	if tlsOn {
		addr = se.https
	}
	c := dialClient(t, addr)
	if tlsOn {
		c = tls.Client(c, &tls.Config{RootCAs: se.pool, ServerName: testDomain, NextProtos: []string{"http/1.1"}})
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(c, raw) }()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// get builds a raw HTTP/1.1 GET of target with extra header lines.
func rawGet(target string, headers ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + testDomain + "\r\n" + strings.Join(append(headers, ""), "\r\n") + "\r\n"
}

// pathOfLine is a request target that makes "GET <target> HTTP/1.1" exactly n bytes.
func pathOfLine(n int) string {
	return "/" + strings.Repeat("a", n-len("GET / HTTP/1.1"))
}

// headerOf is a header line "X-Big: vvv…" of exactly n bytes (no CRLF).
func headerOf(name string, n int) string {
	return name + ": " + strings.Repeat("v", n-len(name)-2)
}

// TestRequestLimits: ALB's request limits with ALB's statuses, over TLS and
// plain TCP: a request line over 16 KiB is 414, one header over 16 KiB or all
// headers over 64 KiB is 400; at the limits the request reaches the target.
func TestRequestLimits(t *testing.T) {
	se := newStatusEnv(t)
	fiveHeaders := make([]string, 5) // 5 × 14,000 B: each within 16 KiB, 70,000 B in all
	for i := range fiveHeaders {
		fiveHeaders[i] = headerOf("X-Part-"+strconv.Itoa(i), 14000)
	}
	cases := []struct {
		name   string
		raw    string
		status int
		title  string // in the page the balancer answers with
	}{
		{"request line at 16 KiB", rawGet(pathOfLine(16 << 10)), 200, ""},
		{"request line 1 byte over 16 KiB", rawGet(pathOfLine(16<<10 + 1)), 414, "<title>414 Request-URI Too Large</title>"},
		{"request line of 70 KiB", rawGet(pathOfLine(70 << 10)), 414, "<title>414 Request-URI Too Large</title>"},
		{"one header at 16 KiB", rawGet("/", headerOf("X-Big", 16<<10)), 200, ""},
		{"one header 1 byte over 16 KiB", rawGet("/", headerOf("X-Big", 16<<10+1)), 400, "<title>400 Request Header Or Cookie Too Large</title>"},
		{"headers over 64 KiB in all", rawGet("/", fiveHeaders...), 400, "<title>400 Request Header Or Cookie Too Large</title>"},
	}
	for _, proto := range []struct {
		name string
		tls  bool
	}{{"https", true}, {"http", false}} {
		for _, tc := range cases {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				status, body := se.raw(t, proto.tls, tc.raw)
				if status != tc.status || !strings.Contains(body, tc.title) {
					t.Fatalf("got %d %.120q, want %d with %q", status, body, tc.status, tc.title)
				}
			})
		}
	}
}

// TestRequestLimitsHTTP2: the same limits over HTTP/2, which the HTTPS
// listener negotiates: the request line is the :method and :path.
func TestRequestLimitsHTTP2(t *testing.T) {
	se := newStatusEnv(t)
	cases := []struct {
		name   string
		path   string
		header string // a header value of this size, when not empty
		status int
	}{
		{"short path", "/", "", 200},
		{"path over 16 KiB", "/" + strings.Repeat("a", 20<<10), "", 414},
		{"header over 16 KiB", "/", strings.Repeat("v", 17<<10), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://"+se.https+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = testDomain
			if tc.header != "" {
				req.Header.Set("X-Big", tc.header)
			}
			res, err := se.client(true).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.ProtoMajor != 2 || res.StatusCode != tc.status {
				t.Fatalf("got %s %d, want HTTP/2.0 %d", res.Proto, res.StatusCode, tc.status)
			}
		})
	}
}

// TestMalformedBody: a request body that breaks the chunked encoding is the
// client's fault, 400 as ALB answers (not 502); the target connection that
// carried half of it is not reused, so the requests after it reach the
// target whole.
func TestMalformedBody(t *testing.T) {
	se := newStatusEnv(t)
	const head = "POST / HTTP/1.1\r\nHost: " + testDomain + "\r\nTransfer-Encoding: chunked\r\n\r\n"
	cases := []struct {
		name   string
		raw    string
		status int
		body   string // the answer's body (substring)
	}{
		{"well-formed chunked body", head + "5\r\nhello\r\n0\r\n\r\n", 200, "hello"},
		{"bad chunk size", head + "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n", 400, "<title>400 Bad Request</title>"},
		{"chunk longer than announced", head + "2\r\nhello\r\n0\r\n\r\n", 400, "<title>400 Bad Request</title>"},
		{"next request after a bad one", head + "6\r\nintact\r\n0\r\n\r\n", 200, "intact"},
		{"and another after that", head + "5\r\nwhole\r\n0\r\n\r\n", 200, "whole"},
	}
	for _, proto := range []struct {
		name string
		tls  bool
	}{{"https", true}, {"http", false}} {
		for _, tc := range cases {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				status, body := se.raw(t, proto.tls, tc.raw)
				if status != tc.status || !strings.Contains(body, tc.body) {
					t.Fatalf("got %d %.120q, want %d with %q", status, body, tc.status, tc.body)
				}
			})
		}
	}
	se.mu.Lock()
	defer se.mu.Unlock()
	want := "hello intact whole hello intact whole"
	if got := strings.Join(se.bodies, " "); got != want {
		t.Fatalf("target read bodies %q, want %q (only the well-formed ones, each whole)", got, want)
	}
}

// FuzzCheckLimits feeds arbitrary request heads through Go's parser to
// checkLimits: it never panics, and its status agrees with the sizes of what
// was parsed.
func FuzzCheckLimits(f *testing.F) {
	f.Add("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0)
	f.Add("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 17000, 0)
	f.Add("POST /x?y HTTP/1.0\r\nHost: a\r\nX-A: b\r\n\r\n", 0, 17000)
	f.Add("GET / HTTP/1.1\r\n\r\n", 16371, 16377)
	f.Fuzz(func(t *testing.T, head string, pathLen, headerLen int) {
		if pathLen < 0 || pathLen > 100<<10 || headerLen < 0 || headerLen > 100<<10 {
			return
		}
		// Grow the request line and add a header of the sizes asked for, so
		// the fuzzer reaches the limits without inventing 16 KiB by itself.
		line, rest, ok := strings.Cut(head, "\r\n")
		if !ok {
			return
		}
		if method, target, ok := strings.Cut(line, " "); ok && pathLen > 0 {
			line = method + " /" + strings.Repeat("p", pathLen) + strings.TrimPrefix(target, "/")
		}
		if headerLen > 0 {
			rest = "X-Fuzz: " + strings.Repeat("v", headerLen) + "\r\n" + rest
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(line + "\r\n" + rest)))
		if err != nil {
			return
		}
		got := checkLimits(r)
		lineLen := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
		switch {
		case lineLen > maxRequestLine && got != http.StatusRequestURITooLong:
			t.Fatalf("request line of %d bytes: got %d, want 414", lineLen, got)
		case lineLen <= maxRequestLine && got == http.StatusRequestURITooLong:
			t.Fatalf("request line of %d bytes: got 414, want it within the limit", lineLen)
		case got != 0 && got != http.StatusBadRequest && got != http.StatusRequestURITooLong:
			t.Fatalf("got %d, want 0, 400 or 414", got)
		case headerLen+len("X-Fuzz: ") > maxHeaderField && lineLen <= maxRequestLine && r.Header.Get("X-Fuzz") != "" &&
			len(r.Header.Get("X-Fuzz")) == headerLen && got != http.StatusBadRequest:
			t.Fatalf("header of %d bytes: got %d, want 400", headerLen+len("X-Fuzz: "), got)
		}
	})
}
