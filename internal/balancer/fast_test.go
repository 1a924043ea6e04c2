package balancer

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/testutil"
)

// fastTargetIP is the fast path tests' backend, inside subnet t.
const fastTargetIP = "127.0.14.216"

// TestFastPath: GET, HEAD and OPTIONS to a plain HTTP target take the
// HTTP/1.1 fast path (fast.go) and answer as the balancer's http.Transport
// does: Accept-Encoding passed as the client sent it (none added when it
// sent none, as ALB) and a gzip body returned as the target encoded it,
// HEAD without a body, chunked and
// close-delimited responses, 1xx before the response, a target that closes
// its keep-alive connections without saying so (the stale pooled connection
// is replaced), and ALB's 502 for response headers over 32 KiB.
func TestFastPath(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", net.JoinHostPort(fastTargetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	hello := strings.Repeat("hello ", 200)
	var zipped bytes.Buffer // hello as the target gzips it: the bytes a client must get unchanged
	zw := gzip.NewWriter(&zipped)
	_, _ = io.WriteString(zw, hello)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	waiting, waited := make(chan struct{}, 1), make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Echo-Accept-Encoding", r.Header.Get("Accept-Encoding"))
		switch r.URL.Path {
		case "/gzip":
			if r.Header.Get("Accept-Encoding") != "gzip" {
				_, _ = io.WriteString(w, hello)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(zipped.Bytes())
		case "/chunked":
			for range 3 {
				_, _ = io.WriteString(w, "part ")
				w.(http.Flusher).Flush()
			}
		case "/early-hints":
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			_, _ = io.WriteString(w, "after hints")
		case "/close-unannounced":
			// Keep-alive framing, then the connection closes: the next
			// request on it would find it dead.
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nclosed")
			_ = brw.Flush()
			c.Close()
		case "/close-delimited":
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\n\r\nuntil close")
			_ = brw.Flush()
			c.Close()
		case "/wait":
			// Answers when the balancer gives up on it: its client went away.
			waiting <- struct{}{}
			select {
			case <-r.Context().Done():
				waited <- nil
			case <-time.After(20 * time.Second):
				waited <- errors.New("the balancer kept the request open")
			}
			return
		case "/huge-headers":
			w.Header().Set("Huge", strings.Repeat("h", 40<<10))
			_, _ = io.WriteString(w, "too big")
		default:
			w.Header().Set("Content-Length", strconv.Itoa(len(hello)))
			_, _ = io.WriteString(w, hello)
		}
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	port := l.Addr().(*net.TCPAddr).Port

	const lport = 18472
	node := e.forwardHTTP(t, "fast", fastTargetIP, port, lport)
	base := "http://" + net.JoinHostPort(node, strconv.Itoa(lport))

	// A keep-alive client that sends Accept-Encoding only when told to.
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)

	cases := []struct {
		name           string
		method, path   string
		acceptEncoding string
		body           string // non-empty: sent, so the request goes through http.Transport instead
		repeat         int    // sent this many times in a row; 0: once
		wantCode       int
		wantBody       string
		wantEncoding   string // the response's Content-Encoding
		wantTargetAE   string // the Accept-Encoding the target saw
	}{
		{name: "plain GET", method: "GET", path: "/", wantCode: 200, wantBody: hello},
		{name: "no Accept-Encoding from the client: none to the target", method: "GET", path: "/gzip", wantCode: 200, wantBody: hello},
		{name: "client's gzip: the target's gzip body untouched", method: "GET", path: "/gzip", acceptEncoding: "gzip", wantCode: 200, wantBody: zipped.String(), wantEncoding: "gzip", wantTargetAE: "gzip"},
		{name: "client's Accept-Encoding passed through", method: "GET", path: "/gzip", acceptEncoding: "identity", wantCode: 200, wantBody: hello, wantTargetAE: "identity"},
		{name: "transport: no Accept-Encoding from the client, none to the target", method: "POST", path: "/gzip", body: "b", wantCode: 200, wantBody: hello},
		{name: "transport: client's gzip, the target's gzip body untouched", method: "POST", path: "/gzip", body: "b", acceptEncoding: "gzip", wantCode: 200, wantBody: zipped.String(), wantEncoding: "gzip", wantTargetAE: "gzip"},
		{name: "HEAD has no body", method: "HEAD", path: "/", wantCode: 200, wantBody: ""},
		{name: "OPTIONS", method: "OPTIONS", path: "/", wantCode: 200, wantBody: hello},
		{name: "chunked response", method: "GET", path: "/chunked", wantCode: 200, wantBody: "part part part "},
		{name: "1xx before the response", method: "GET", path: "/early-hints", wantCode: 200, wantBody: "after hints"},
		{name: "target closes keep-alive connections unannounced", method: "GET", path: "/close-unannounced", repeat: 5, wantCode: 200, wantBody: "closed"},
		{name: "close-delimited response", method: "GET", path: "/close-delimited", repeat: 3, wantCode: 200, wantBody: "until close"},
		{name: "response headers over 32 KiB", method: "GET", path: "/huge-headers", wantCode: 502, wantBody: errorBody(502)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range max(c.repeat, 1) {
				var sent io.Reader
				if c.body != "" {
					sent = strings.NewReader(c.body)
				}
				req, err := http.NewRequest(c.method, base+c.path, sent)
				if err != nil {
					t.Fatal(err)
				}
				if c.acceptEncoding != "" {
					req.Header.Set("Accept-Encoding", c.acceptEncoding)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Fatalf("request %d: reading the body: %v", i, err)
				}
				if res.StatusCode != c.wantCode || string(body) != c.wantBody {
					t.Fatalf("request %d: got %d %.40q, want %d %.40q", i, res.StatusCode, body, c.wantCode, c.wantBody)
				}
				if got := res.Header.Get("Content-Encoding"); got != c.wantEncoding {
					t.Errorf("Content-Encoding: got %q, want %q", got, c.wantEncoding)
				}
				if c.wantCode == 200 && c.repeat == 0 {
					if got := res.Header.Get("Echo-Accept-Encoding"); got != c.wantTargetAE {
						t.Errorf("Accept-Encoding the target saw: got %q, want %q", got, c.wantTargetAE)
					}
				}
			}
		})
	}

	// A client that leaves while its target has not answered: the request
	// to the target ends too, and the balancer counts ALB's 460.
	t.Run("client gone while the target works", func(t *testing.T) {
		gone := e.svc.metrics.requests.WithLabelValues("460")
		before := counterValue(t, gone)
		c, err := d.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: "+testDomain+"\r\n\r\n")
		<-waiting
		c.Close()
		if err := <-waited; err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "a 460 counted", func() (bool, string) {
			got := counterValue(t, gone) - before
			return got == 1, fmt.Sprint(got)
		})
	})

	t.Run("connection kept for the next request", func(t *testing.T) {
		res, err := client.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		pool := e.svc.transports.fast.get(node, net.JoinHostPort(fastTargetIP, strconv.Itoa(port)), false)
		pool.mu.Lock()
		idle := len(pool.idle)
		pool.mu.Unlock()
		if idle == 0 {
			t.Errorf("idle fast-path connections to the target: got 0, want at least 1")
		}
	})
}

// TestFastEligible: which requests take the fast path.
func TestFastEligible(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		body     io.Reader
		header   map[string]string
		protocol string
		want     bool
	}{
		{"GET to HTTP", "GET", nil, nil, "HTTP", true},
		{"HEAD", "HEAD", nil, nil, "HTTP", true},
		{"OPTIONS", "OPTIONS", nil, nil, "HTTP", true},
		{"GET to HTTPS", "GET", nil, nil, "HTTPS", true},
		{"POST", "POST", nil, nil, "HTTP", false},
		{"DELETE", "DELETE", nil, nil, "HTTP", false},
		{"GET with a body", "GET", strings.NewReader("x"), nil, "HTTP", false},
		{"upgrade", "GET", nil, map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, "HTTP", false},
		{"expect continue", "GET", nil, map[string]string{"Expect": "100-continue"}, "HTTP", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "http://10.0.0.1/", c.body)
			if c.body == nil {
				req.Body = nil
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			if got := fastEligible(req, c.protocol); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestFastPoolIdle: take reuses the newest idle connection; one idle past
// the idle timeout is closed rather than reused, by take and by put; a
// retired pool keeps none.
func TestFastPoolIdle(t *testing.T) {
	newConn := func() (*fastConn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return &fastConn{Conn: a, limit: -1}, b
	}
	closed := func(peer net.Conn) bool {
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := peer.Read(make([]byte, 1))
		return err == io.EOF
	}
	p := &fastPool{}
	old, oldPeer := newConn()
	fresh, _ := newConn()
	p.put(old, time.Now())
	p.put(fresh, time.Now())
	if got := p.take(time.Now()); got != fresh {
		t.Fatalf("take: got %p, want the newest %p", got, fresh)
	}
	old.lastUsed = time.Now().Add(-2 * defaultIdleTimeout)
	if got := p.take(time.Now()); got != nil {
		t.Errorf("take with only an expired connection: got %p, want nil", got)
	}
	if !closed(oldPeer) {
		t.Error("the expired connection is still open")
	}

	p = &fastPool{}
	stale, stalePeer := newConn()
	p.put(stale, time.Now())
	stale.lastUsed = time.Now().Add(-2 * defaultIdleTimeout)
	next, _ := newConn()
	p.put(next, time.Now())
	if !closed(stalePeer) {
		t.Error("put kept the connection idle past the timeout")
	}
	if n := len(p.idle); n != 1 {
		t.Errorf("idle after put: got %d, want 1", n)
	}

	// A pool fastPools forgot (its target or node went) while a request
	// held it: the connection that request puts back closes.
	p = &fastPool{}
	p.retire()
	late, latePeer := newConn()
	p.put(late, time.Now())
	if !closed(latePeer) {
		t.Error("a retired pool kept a connection put back")
	}
	if n := len(p.idle); n != 0 {
		t.Errorf("idle in a retired pool: got %d, want 0", n)
	}
}

// TestFastPathHTTPS: a GET to an HTTPS target takes the fast path over TLS:
// a new connection resumes the session of the last one, and a target that
// does not speak TLS gets ALB's 502, not a retry.
func TestFastPathHTTPS(t *testing.T) {
	e := newEnv(t)
	tlsListener, err := net.Listen("tcp", net.JoinHostPort(fastTargetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer closes the connection, so each request shakes hands.
		w.Header().Set("Connection", "close")
		w.Header().Set("Resumed", strconv.FormatBool(r.TLS != nil && r.TLS.DidResume))
		_, _ = io.WriteString(w, "over tls")
	}))
	srv.Listener.Close()
	srv.Listener = tlsListener
	srv.StartTLS()
	t.Cleanup(srv.Close)
	plain, err := net.Listen("tcp", net.JoinHostPort(fastTargetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	plainSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	plainSrv.Listener.Close()
	plainSrv.Listener = plain
	plainSrv.Start()
	t.Cleanup(plainSrv.Close)

	lb := e.createLB(t, "fast-tls")
	forward := func(name string, l net.Listener, lport int) string {
		t.Helper()
		node := e.forwardTo(t, lb, name, "HTTPS", fastTargetIP, l.Addr().(*net.TCPAddr).Port, lport)
		return "http://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"
	}
	tlsURL := forward("fast-tls-targets", tlsListener, 18473)
	plainURL := forward("fast-plain-targets", plain, 18474)

	get := func(url string) (int, string, string) {
		t.Helper()
		res, err := e.client(false).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(body), res.Header.Get("Resumed")
	}
	var resumed []string
	for range 2 {
		code, body, r := get(tlsURL)
		if code != 200 || body != "over tls" {
			t.Fatalf("GET to the TLS target: got %d %q, want 200 %q", code, body, "over tls")
		}
		resumed = append(resumed, r)
	}
	if resumed[1] != "true" {
		t.Errorf("session resumed on the second connection: got %q, want true", resumed[1])
	}
	retries := counterValue(t, e.svc.metrics.retries)
	if code, body, _ := get(plainURL); code != 502 || body != errorBody(502) {
		t.Errorf("GET to a target without TLS: got %d %.30q, want ALB's 502", code, body)
	}
	if got := counterValue(t, e.svc.metrics.retries) - retries; got != 0 {
		t.Errorf("retries after a failed handshake: got %v, want 0", got)
	}
}

// TestAbort: the end of the context closes the connection armed at that
// moment, for a once abort after a retry too, and for a connection's abort
// on every request; a disarmed connection stays open.
func TestAbort(t *testing.T) {
	conn := func() (*fastConn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return &fastConn{Conn: a}, b
	}
	closed := func(peer net.Conn) bool {
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := peer.Read(make([]byte, 1))
		return errors.Is(err, io.EOF)
	}
	for _, once := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		ab := &abort{ctx: ctx, once: once}
		first, firstPeer := conn()
		ab.arm(first)
		if !ab.disarm(first) {
			t.Fatalf("once=%v: disarm of a connection nothing aborted reported false", once)
		}
		second, secondPeer := conn()
		ab.arm(second)
		cancel()
		if !closed(secondPeer) {
			t.Errorf("once=%v: the armed connection is open after the context ended", once)
		}
		if ab.disarm(second) {
			t.Errorf("once=%v: disarm after the abort reported true", once)
		}
		_ = firstPeer.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := firstPeer.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("once=%v: the disarmed connection: %v, want it open", once, err)
		}
	}
}
