package balancer

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/handoff"
	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestHandoffSeams runs a balancer with a hand-off registry: its node
// listener takes connections handed over (the client's address as
// metadata), and a target with an in-process entry is served through it,
// with the socket path's rewrite and error classes.
func TestHandoffSeams(t *testing.T) {
	reg := handoff.New()
	e := newEnv(t, func(d *Deps) { d.Handoff = reg })
	_, port := backend(t)
	lb := e.createLB(t, "edge")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "api-targets", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: port,
		HealthCheck: HealthCheckInput{Matcher: ptr("403"), IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2), HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18481
	node := e.httpsForward(t, lb, tg.ARN, lport)
	url := "https://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"

	// The target's in-process entry: what mode says.
	var mode atomic.Value
	mode.Store("serve")
	target := netip.AddrPortFrom(netip.MustParseAddr(targetIP), uint16(port))
	handlerCtx := make(chan context.Context, 1)
	remove := reg.AddRequest(target, func(w http.ResponseWriter, r *http.Request, from handoff.Peer) error {
		switch mode.Load() {
		case "refuse":
			return handoff.ErrRefused
		case "unavailable":
			return handoff.ErrUnavailable
		case "empty":
			handlerCtx <- r.Context()
			return nil
		}
		h := w.Header()
		h.Set("Echo-XFF", r.Header.Get("X-Forwarded-For"))
		h.Set("Echo-Proto", r.Header.Get("X-Forwarded-Proto"))
		h.Set("Echo-Port", r.Header.Get("X-Forwarded-Port"))
		h.Set("Echo-Trace", r.Header.Get("X-Amzn-Trace-Id"))
		h.Set("Echo-Host", r.Host)
		h.Set("Echo-Peer", from.Source.String())
		h.Set("Echo-Local", from.Local.String())
		_, _ = w.Write([]byte("hello in process"))
		return nil
	})
	defer remove()

	tests := []struct {
		mode     string
		wantCode int
		wantBody string
	}{
		{"serve", 200, "hello in process"},
		{"refuse", 502, errorBody(502)}, // as the endpoint closing the connection before TLS
	}
	for _, tt := range tests {
		t.Run("L7 "+tt.mode, func(t *testing.T) {
			mode.Store(tt.mode)
			res, err := e.get(false, url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantCode || string(body) != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if tt.mode != "serve" {
				return
			}
			checks := []struct{ name, got, want string }{
				{"X-Forwarded-For", res.Header.Get("Echo-XFF"), clientIP},
				{"X-Forwarded-Proto", res.Header.Get("Echo-Proto"), "https"},
				{"X-Forwarded-Port", res.Header.Get("Echo-Port"), strconv.Itoa(lport)},
				{"Host", res.Header.Get("Echo-Host"), testDomain},
				{"source", res.Header.Get("Echo-Peer"), node + ":0"},
				{"local", res.Header.Get("Echo-Local"), target.String()},
				{"Content-Length", res.Header.Get("Content-Length"), strconv.Itoa(len("hello in process"))},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
				}
			}
			if tr := res.Header.Get("Echo-Trace"); !strings.HasPrefix(tr, "Root=1-") {
				t.Errorf("X-Amzn-Trace-Id: got %q, want a new Root", tr)
			}
		})
	}

	t.Run("L7 the handler's context ends with its request", func(t *testing.T) {
		// As a server's: a context still open would stay registered on the
		// client's keep-alive connection, with all it holds, until the
		// client closes it (a response without a body did so).
		mode.Store("empty")
		tr := e.client(false).Transport.(*http.Transport)
		tr.DisableKeepAlives = false
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = testDomain
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close() // the connection stays open, idle in tr
		if res.StatusCode != 200 || res.ContentLength != 0 {
			t.Fatalf("got %d with length %d, want 200 without a body", res.StatusCode, res.ContentLength)
		}
		select {
		case <-(<-handlerCtx).Done():
		case <-time.After(testutil.WaitLimit):
			t.Fatal("the handler's context is still open after its response")
		}
	})

	t.Run("L4 connection handed to the node", func(t *testing.T) {
		mode.Store("serve")
		take, ok := reg.Conn(netip.AddrPortFrom(netip.MustParseAddr(node), lport))
		if !ok {
			t.Fatalf("no L4 entry for the node %s:%d", node, lport)
		}
		// A real socket pair stands for the accelerator's accepted client.
		l, err := net.Listen("tcp", net.JoinHostPort(clientIP, "0"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		clientSide, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer clientSide.Close()
		accepted, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		source := netip.MustParseAddrPort("203.0.113.9:40001")
		if !take(accepted, source) {
			t.Fatal("the node's listener did not take the connection")
		}
		res, err := e.getOverTLS(clientSide)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Header.Get("Echo-XFF"); res.StatusCode != 200 || got != source.Addr().String() {
			t.Fatalf("got %d with X-Forwarded-For %q, want 200 with the handed-over client %s", res.StatusCode, got, source.Addr())
		}
	})

	t.Run("L7 unavailable is a refused connection", func(t *testing.T) {
		// Nothing serves the address in process any more (the gateway
		// stopped): as a refused connection, the target is ejected and,
		// with no other target, the answer is 502.
		mode.Store("unavailable")
		res, err := e.get(false, url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadGateway {
			t.Fatalf("got %d, want 502", res.StatusCode)
		}
	})

	t.Run("entries leave with the listener", func(t *testing.T) {
		e.stop()
		if _, ok := reg.Conn(netip.AddrPortFrom(netip.MustParseAddr(node), lport)); ok {
			t.Error("L4 entry of the node still registered after the balancer stopped")
		}
	})
}

// inProcessCases are handlers whose responses in process must look to the
// proxy as they do through net/http's server and transport.
var inProcessCases = []struct {
	name    string
	method  string
	handler http.HandlerFunc
}{
	{"short body", "GET", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }},
	{"no body", "GET", func(http.ResponseWriter, *http.Request) {}},
	{"typed JSON", "GET", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"a":1}`))
	}},
	{"long body streams", "GET", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(bytes.Repeat([]byte("x"), 5000)) }},
	{"long body with its length", "GET", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "5000")
		_, _ = w.Write(bytes.Repeat([]byte("y"), 5000))
	}},
	{"flushed", "GET", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		_, _ = w.Write([]byte("b"))
	}},
	{"no content", "GET", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }},
	{"not found page", "GET", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nope", 404) }},
	{"gzip body passed as encoded", "GET", func(w http.ResponseWriter, _ *http.Request) {
		// A target may compress unasked: the balancer passes the body on
		// as it came, as ALB does.
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write([]byte("left compressed by the balancer"))
		_ = zw.Close()
	}},
	{"HEAD", "HEAD", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("a body HEAD does not send")) }},
}

// TestInProcessResponseMatchesHTTP compares each case's response in process
// with the same handler behind net/http's server, read by the balancer's
// http.Transport (newTransport).
func TestInProcessResponseMatchesHTTP(t *testing.T) {
	for _, tc := range inProcessCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			req := func() *http.Request {
				r, _ := http.NewRequest(tc.method, srv.URL+"/p?q=1", nil)
				r.Header.Set("User-Agent", "")
				return r
			}
			tr := newTransport("", false) // keep-alive, as the balancer's: oneShot would add Connection: close
			defer tr.CloseIdleConnections()
			want, err := tr.RoundTrip(req())
			if err != nil {
				t.Fatal(err)
			}
			conn := newRegistrations()
			got, err := roundTripInProcess(req().WithContext(conn), func(w http.ResponseWriter, r *http.Request, _ handoff.Peer) error {
				tc.handler(w, r)
				return nil
			}, handoff.Peer{}, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := describe(t, got), describe(t, want); g != w {
				t.Errorf("in process:\n%s\nover a socket:\n%s", g, w)
			}
			conn.released(t)
		})
	}
}

// describe is what the proxy reads of a response.
func describe(t *testing.T, res *http.Response) string {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := res.Header.Clone()
	h.Del("Date")
	var keys []string
	for k := range h {
		keys = append(keys, k+"="+strings.Join(h[k], ","))
	}
	slices.Sort(keys)
	shown := string(body)
	if len(shown) > 40 {
		shown = fmt.Sprintf("%.20s… (%d bytes, crc %08x)", shown, len(body), crc32.ChecksumIEEE(body))
	}
	return fmt.Sprintf("status %d, length %d, uncompressed %v, headers %v, body %q", res.StatusCode, res.ContentLength, res.Uncompressed, keys, shown)
}

// TestInProcessRequestMatchesHTTP compares what a handler reads of a request
// in process with what it reads behind net/http's server, the request sent
// by the balancer's http.Transport (newTransport) as the proxy would send
// it; either way the handler sees the client's Accept-Encoding, none when
// the client sent none, as behind ALB.
func TestInProcessRequestMatchesHTTP(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   func() io.Reader // nil: none
		length int64
		header map[string]string
	}{
		{"GET with query", "GET", "/a/b%2Fc?x=1&y=%20", nil, 0, map[string]string{"User-Agent": "client/1", "X-Forwarded-For": "10.0.0.1"}},
		{"no User-Agent", "GET", "/", nil, 0, map[string]string{"User-Agent": ""}},
		{"client's Accept-Encoding kept", "GET", "/", nil, 0, map[string]string{"Accept-Encoding": "br"}},
		{"client's gzip kept", "GET", "/", nil, 0, map[string]string{"Accept-Encoding": "gzip"}},
		{"Range", "GET", "/", nil, 0, map[string]string{"Range": "bytes=0-1"}},
		{"POST with a body", "POST", "/items", func() io.Reader { return strings.NewReader(`{"a":1}`) }, 7, map[string]string{"Content-Type": "application/json"}},
		{"POST without a body", "POST", "/items", nil, 0, nil},
		{"DELETE without a body", "DELETE", "/items/1", nil, 0, nil},
		{"PUT chunked", "PUT", "/items/1", func() io.Reader { return io.MultiReader(strings.NewReader("ab"), strings.NewReader("cd")) }, -1, nil},
		{"HEAD", "HEAD", "/", nil, 0, nil},
	}
	type seen struct {
		Method, URL, RequestURI, Host, Proto string
		Header                               http.Header
		ContentLength                        int64
		TransferEncoding                     []string
		Body                                 string
	}
	capture := func(r *http.Request) seen {
		b, _ := io.ReadAll(r.Body)
		return seen{r.Method, r.URL.String(), r.RequestURI, r.Host, r.Proto, r.Header.Clone(), r.ContentLength, r.TransferEncoding, string(b)}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seenBySocket := make(chan seen, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seenBySocket <- capture(r) }))
			defer srv.Close()
			req := func() *http.Request {
				var body io.Reader
				if tt.body != nil {
					body = tt.body()
				}
				r, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
				r.ContentLength = tt.length
				if tt.body == nil {
					r.Body = nil // as ReverseProxy leaves a request without a body
				}
				r.Host = testDomain
				if _, ok := tt.header["User-Agent"]; !ok {
					r.Header.Set("User-Agent", "proxy-default") // ReverseProxy always sets the key
				}
				for k, v := range tt.header {
					r.Header.Set(k, v)
				}
				return r
			}
			tr := newTransport("", false) // keep-alive, as the balancer's: oneShot would add Connection: close
			defer tr.CloseIdleConnections()
			res, err := tr.RoundTrip(req())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := <-seenBySocket
			var got seen
			res, err = roundTripInProcess(req(), func(w http.ResponseWriter, r *http.Request, _ handoff.Peer) error {
				got = capture(r)
				return nil
			}, handoff.Peer{}, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Errorf("in process:\n%s\nover a socket:\n%s", g, w)
			}
			var clientAE []string // what the client sent: nil for none
			if v, ok := tt.header["Accept-Encoding"]; ok {
				clientAE = []string{v}
			}
			if g, w := got.Header["Accept-Encoding"], want.Header["Accept-Encoding"]; !slices.Equal(g, clientAE) || !slices.Equal(w, clientAE) {
				t.Errorf("Accept-Encoding the target saw: got %q in process and %q over a socket, want the client's %q", g, w, clientAE)
			}
		})
	}
}

// TestInProcessGzipUntouched: in process as over a socket, a client that
// sent no Accept-Encoding reaches the target without one, and a client
// that asked for gzip gets the target's gzip body byte for byte, with its
// Content-Encoding and length: the balancer neither asks for compression
// nor undoes it, as ALB.
func TestInProcessGzipUntouched(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = io.WriteString(zw, strings.Repeat("compress me ", 100))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	plain := "not compressed"
	// The target compresses only when asked, as most servers do.
	target := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Echo-Accept-Encoding", r.Header.Get("Accept-Encoding"))
		if r.Header.Get("Accept-Encoding") != "gzip" {
			_, _ = io.WriteString(w, plain)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(zipped.Bytes())
	}
	tests := []struct {
		name           string
		acceptEncoding string // "": the client sent none
		wantTargetAE   string
		wantEncoding   string
		wantBody       string
		wantLength     int64
	}{
		{"no Accept-Encoding", "", "", "", plain, int64(len(plain))},
		{"gzip asked", "gzip", "gzip", "gzip", zipped.String(), int64(zipped.Len())},
		{"identity asked", "identity", "identity", "", plain, int64(len(plain))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+targetIP+":443/", nil)
			if tt.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tt.acceptEncoding)
			}
			res, err := roundTripInProcess(req, func(w http.ResponseWriter, r *http.Request, _ handoff.Peer) error {
				target(w, r)
				return nil
			}, handoff.Peer{}, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Header.Get("Echo-Accept-Encoding"); got != tt.wantTargetAE {
				t.Errorf("Accept-Encoding the target saw: got %q, want %q", got, tt.wantTargetAE)
			}
			if got := res.Header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding: got %q, want %q", got, tt.wantEncoding)
			}
			if string(body) != tt.wantBody || res.ContentLength != tt.wantLength || res.Uncompressed {
				t.Errorf("body: got %d bytes %.20q (length %d, uncompressed %v), want %d bytes %.20q (length %d, uncompressed false)",
					len(body), body, res.ContentLength, res.Uncompressed, len(tt.wantBody), tt.wantBody, tt.wantLength)
			}
		})
	}
}

// TestInProcessFailures: what http.Transport would fail, fails in process,
// and the handler is released (its context ends, its writes fail) rather
// than left blocked.
func TestInProcessFailures(t *testing.T) {
	big := strings.Repeat("h", maxResponseHeaders)
	tests := []struct {
		name    string
		timeout time.Duration
		handler func(w http.ResponseWriter, r *http.Request)
		wantErr error // nil: any error
	}{
		{"headers over ALB's limit", time.Minute, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Big", big)
			_, _ = w.Write([]byte("short"))
		}, nil},
		{"headers over ALB's limit, streamed body", time.Minute, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Big", big)
			for range 10 {
				if _, err := w.Write(bytes.Repeat([]byte("z"), 4096)); err != nil {
					return
				}
			}
		}, nil},
		{"no response headers in time", 50 * time.Millisecond, func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, errResponseTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			conn := newRegistrations()
			req, _ := http.NewRequestWithContext(conn, "GET", "http://"+targetIP+":443/", nil)
			req.Header.Set("User-Agent", "")
			res, err := roundTripInProcess(req, func(w http.ResponseWriter, r *http.Request, _ handoff.Peer) error {
				defer close(done)
				tt.handler(w, r)
				return nil
			}, handoff.Peer{}, tt.timeout)
			if err == nil {
				res.Body.Close()
				t.Fatalf("got %d, want an error", res.StatusCode)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == errResponseTimeout && classify(err) != http.StatusGatewayTimeout {
				t.Errorf("classify(%v): got %d, want 504", err, classify(err))
			}
			select {
			case <-done:
			case <-time.After(testutil.WaitLimit):
				t.Fatal("the handler is still running: want it released")
			}
			conn.released(t)
		})
	}
}

// registrations stands for a client connection's context, which every
// request on the connection shares: it counts the contexts registered on it
// (a context.WithCancel of it registers through AfterFunc) and not yet
// released. One a request leaves registered lives, with all it holds, for
// as long as the client keeps the connection: on a keep-alive connection,
// memory that grows with every request.
type registrations struct {
	done chan struct{} // never closed
	live atomic.Int64
}

func newRegistrations() *registrations { return &registrations{done: make(chan struct{})} }

func (c *registrations) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *registrations) Done() <-chan struct{}       { return c.done }
func (c *registrations) Err() error                  { return nil }
func (c *registrations) Value(any) any               { return nil }

func (c *registrations) AfterFunc(func()) (stop func() bool) {
	c.live.Add(1)
	var stopped atomic.Bool
	return func() bool {
		if stopped.CompareAndSwap(false, true) {
			c.live.Add(-1)
			return true
		}
		return false
	}
}

// released waits until every context registered on c was released.
func (c *registrations) released(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, "every context registered on the connection's released", func() (bool, string) {
		n := c.live.Load()
		return n == 0, fmt.Sprintf("%d registered", n)
	})
}

// FuzzServerRequest: whatever path and query a client sent, the request a
// target reads in process has the request line the transport would write,
// and a URL parsed from it.
func FuzzServerRequest(f *testing.F) {
	for _, seed := range [][2]string{{"/", ""}, {"/a/b%2Fc", "x=1&y=%20"}, {"/%zz", "q=%"}, {"//x", "a"}, {"/ü", "ü=1"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		out, err := http.NewRequest("GET", "https://"+targetIP+":443/", nil)
		if err != nil {
			t.Fatal(err)
		}
		out.URL.Path, out.URL.RawQuery = "/"+strings.TrimPrefix(path, "/"), query
		in := serverRequest(out.Context(), out)
		if in.RequestURI != out.URL.RequestURI() {
			t.Fatalf("RequestURI: got %q, want %q", in.RequestURI, out.URL.RequestURI())
		}
		if in.URL == nil || in.Host != out.URL.Host || in.Proto != "HTTP/1.1" {
			t.Fatalf("got URL %v, Host %q, Proto %q", in.URL, in.Host, in.Proto)
		}
	})
}
