package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// served is a server on a loopback socket: h1 in front, net/http behind.
type served struct {
	addr     string
	fallback atomic.Int32 // connections net/http got
	srv      *Server
	ln       net.Listener
}

// echo answers with what it saw of the request, and a body of ?size bytes.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Seen", fmt.Sprintf("%s %s host=%s a=%q remote=%v tls=%v body=%q",
		r.Method, r.RequestURI, r.Host, r.Header.Values("A"), r.RemoteAddr != "", r.TLS != nil, body))
	if r.URL.Query().Has("trailers") {
		w.Header().Set("Trailer", "X-Sum")
		defer func() {
			w.Header().Set("X-Sum", "42")
			w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
		}()
	}
	if n := r.URL.Query().Get("size"); n != "" {
		var size int
		fmt.Sscan(n, &size)
		_, _ = io.WriteString(w, strings.Repeat("x", size))
	}
})

func serve(t *testing.T, h http.Handler, tlsConf *tls.Config, opts ...func(*Server)) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{addr: ln.Addr().String(), ln: ln}
	s.srv = &Server{
		Handler:       h,
		BaseContext:   context.Background(),
		HeaderTimeout: 5 * time.Second,
		Log:           slog.New(slog.DiscardHandler),
		Fallback: &http.Server{Handler: h, ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			s.fallback.Add(1)
			return ctx
		}},
	}
	for _, o := range opts {
		o(s.srv)
	}
	var l net.Listener = ln
	if tlsConf != nil {
		l = tlsListener{ln, tlsConf}
	}
	done := make(chan struct{})
	go func() { _ = s.srv.Serve(l); close(done) }()
	t.Cleanup(func() {
		ln.Close()
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(ctx)
	})
	return s
}

// tlsListener returns TLS connections before their handshake, as the
// balancer's listener does.
type tlsListener struct {
	net.Listener
	conf *tls.Config
}

func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tls.Server(c, l.conf), nil
}

// exchange writes raw to a new connection and reads the responses to n
// requests from it.
func exchange(t *testing.T, addr, raw string, methods ...string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []*http.Response
	for _, m := range methods {
		res, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v", len(out)+1, err)
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("response %d body: %v", len(out)+1, err)
		}
		res.Body = io.NopCloser(strings.NewReader(string(body)))
		out = append(out, res)
	}
	return out
}

func bodyOf(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestServeAnswersAsNetHTTP(t *testing.T) {
	s := serve(t, echo, nil)
	ref := httptest.NewServer(echo)
	defer ref.Close()
	tests := []struct {
		name, raw string
		method    string
	}{
		{"GET with a short body", "GET /x?size=5 HTTP/1.1\r\nHost: h\r\nA: 1\r\nA: 2\r\n\r\n", "GET"},
		{"GET streamed past the buffer (chunked)", "GET /x?size=5000 HTTP/1.1\r\nHost: h\r\n\r\n", "GET"},
		{"HEAD", "HEAD /x?size=5 HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD"},
		{"trailers", "GET /x?size=5&trailers HTTP/1.1\r\nHost: h\r\n\r\n", "GET"},
		{"empty body", "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "GET"},
		{"body (net/http's)", "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", "POST"},
		{"no Host (net/http's 400)", "GET /x HTTP/1.1\r\n\r\n", "GET"},
		{"a head over h1's buffer (net/http's)", "GET /x HTTP/1.1\r\nHost: h\r\nA: " + strings.Repeat("a", 10<<10) + "\r\n\r\n", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, s.addr, tc.raw, tc.method)[0]
			want := exchange(t, ref.Listener.Addr().String(), tc.raw, tc.method)[0]
			if got.StatusCode != want.StatusCode {
				t.Errorf("status: got %d, net/http %d", got.StatusCode, want.StatusCode)
			}
			for _, h := range []string{"X-Seen", "Content-Length", "Content-Type", "Connection"} {
				if g, w := got.Header.Get(h), want.Header.Get(h); g != w {
					t.Errorf("%s: got %q, net/http %q", h, g, w)
				}
			}
			if g, w := got.TransferEncoding, want.TransferEncoding; fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("Transfer-Encoding: got %v, net/http %v", g, w)
			}
			if got.Header.Get("Date") == "" && want.Header.Get("Date") != "" {
				t.Error("no Date header")
			}
			if strings.Contains(tc.raw, "trailers") && len(got.Trailer) != 2 {
				t.Errorf("got trailers %v, want X-Sum and X-Late", got.Trailer)
			}
			if g, w := fmt.Sprint(got.Trailer), fmt.Sprint(want.Trailer); g != w {
				t.Errorf("trailers: got %s, net/http %s", g, w)
			}
			if g, w := bodyOf(got), bodyOf(want); g != w {
				t.Errorf("body: got %d bytes, net/http %d", len(g), len(w))
			}
		})
	}
}

func TestServeKeepsTheConnection(t *testing.T) {
	s := serve(t, echo, nil)
	// Pipelined: two heads in one write, answered in order on the same
	// connection; then a body request goes to net/http with the rest.
	raw := "GET /1?size=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2?size=2 HTTP/1.1\r\nHost: h\r\n\r\n" +
		"POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi" +
		"GET /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	res := exchange(t, s.addr, raw, "GET", "GET", "POST", "GET")
	want := []string{"GET /1?size=1 ", "GET /2?size=2 ", `POST /3 host=h a=[] remote=true tls=false body="hi"`, "GET /4 "}
	for i, r := range res {
		if !strings.HasPrefix(r.Header.Get("X-Seen"), want[i]) {
			t.Errorf("response %d: got %q, want it to start with %q", i+1, r.Header.Get("X-Seen"), want[i])
		}
	}
	if !res[3].Close {
		t.Error("Connection: close was not answered with close")
	}
	if got := s.fallback.Load(); got != 1 {
		t.Errorf("net/http got %d connections, want 1 (from the POST on)", got)
	}
}

func TestServeClosesOnConnectionClose(t *testing.T) {
	s := serve(t, echo, nil)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	all, err := io.ReadAll(c) // ends only when the server closes
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(all), "Connection: close\r\n") {
		t.Errorf("got %q, want a Connection: close response", all)
	}
	if s.fallback.Load() != 0 {
		t.Error("net/http served a request h1 takes")
	}
}

func TestServeTLSAndHTTP2(t *testing.T) {
	ref := httptest.NewUnstartedServer(nil)
	ref.EnableHTTP2 = true
	ref.StartTLS() // for its certificate
	defer ref.Close()
	conf := &tls.Config{Certificates: ref.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
	s := serve(t, echo, conf)
	for _, h2 := range []bool{false, true} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: h2} //nolint:gosec // a test's own certificate
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		res, err := (&http.Client{Transport: tr}).Get("https://" + s.addr + "/a?size=3")
		if err != nil {
			t.Fatal(err)
		}
		body := bodyOf(res)
		res.Body.Close()
		tr.CloseIdleConnections()
		if res.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] || body != "xxx" || !strings.Contains(res.Header.Get("X-Seen"), "tls=true") {
			t.Errorf("h2=%v: got %s, body %q, seen %q", h2, res.Proto, body, res.Header.Get("X-Seen"))
		}
	}
	if got := s.fallback.Load(); got != 1 {
		t.Errorf("net/http got %d connections, want 1 (the HTTP/2 one)", got)
	}
}

func TestShutdownWaitsForTheResponse(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "done")
	}), nil)
	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	got := make(chan string, 1)
	go func() {
		res := exchange(t, s.addr, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", "GET")[0]
		got <- fmt.Sprintf("%d %s close=%v", res.StatusCode, bodyOf(res), res.Close)
	}()
	<-started
	s.ln.Close()
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.srv.Shutdown(ctx)
	}()
	// The idle connection closes at once: its read ends.
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); err == nil {
		t.Errorf("idle connection read %d bytes during shutdown, want it closed", n)
	}
	close(release)
	if g := <-got; g != "200 done close=true" {
		t.Errorf("busy request: got %q, want 200 done, then close", g)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestServeAbortsACutResponse(t *testing.T) {
	// A proxy whose target cuts its body short: the client must see the cut
	// (a connection closed mid-body), not a whole response.
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer target.Close()
	u, _ := url.Parse(target.URL)
	s := serve(t, httputil.NewSingleHostReverseProxy(u), nil)
	res, err := http.Get("http://" + s.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if b, err := io.ReadAll(res.Body); err == nil {
		t.Errorf("read a whole body of %d bytes, want an error", len(b))
	}
}

// flakyListener fails its first Accepts as a listener out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

func TestServeOutlivesAcceptErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: ln}
	fl.fails.Store(3)
	srv := &Server{Handler: echo, BaseContext: context.Background(), HeaderTimeout: 5 * time.Second, Fallback: &http.Server{Handler: echo}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(fl) }()
	res := exchange(t, ln.Addr().String(), "GET /x?size=2 HTTP/1.1\r\nHost: h\r\n\r\n", "GET")[0]
	if got := bodyOf(res); got != "xx" {
		t.Errorf("after three failed accepts: got %q, want xx", got)
	}
	ln.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve returned %v, want net.ErrClosed", err)
	}
	_ = srv.Shutdown(context.Background())
}
