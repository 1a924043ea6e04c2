package balancer

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDirectMatchesReverseProxy sends the same requests through
// forwardDirect and through the ReverseProxy it replaces, on the same route
// to the same target, and compares what the target read and what the client
// got: status, 1xx, fields, body, trailers.
func TestDirectMatchesReverseProxy(t *testing.T) {
	e := newEnv(t)
	seenCh := make(chan seenRequest, 1)
	// The target echoes nothing: it records the request as it came and
	// answers as the query asks.
	l, err := net.Listen("tcp", net.JoinHostPort(targetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") == "" {
			return // a health check
		}
		seenCh <- recordRequest(r)
		q := r.URL.Query()
		h := w.Header()
		if q.Has("hint") {
			h.Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		h.Set("Connection", "X-Hop")
		h.Set("X-Hop", "dropped")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Kept", "yes")
		if q.Has("trailers") {
			h.Set("Trailer", "X-Sum")
		}
		if q.Has("nocontent") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.WriteString(w, "part one ")
		if q.Has("stream") {
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, "part two")
		if q.Has("trailers") {
			h.Set("X-Sum", "17")
		}
	}))
	target.Listener.Close()
	target.Listener = l
	target.Start()
	defer target.Close()
	port := l.Addr().(*net.TCPAddr).Port

	const lport = 18490
	node := e.forwardHTTP(t, "direct", targetIP, port, lport)
	le := e.svc.table.Load().listeners[net.JoinHostPort(node, strconv.Itoa(lport))]
	if le == nil || le.action.group == nil {
		t.Fatal("no listener entry forwarding to the group")
	}

	// Two servers in front of the same route: one forwards directly, the
	// other through ReverseProxy.
	front := func(direct bool) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g := le.action.group
			rt := &route{node: node, le: le, group: g, target: &g.targets[0], started: time.Now()}
			rt.wait = &rt.waitState
			r = r.WithContext(withRoute(r.Context(), rt)) // as handle gives it to either
			if direct {
				if !directEligible(r, g.protocol) {
					t.Errorf("%s %s: not eligible for the direct path", r.Method, r.RequestURI)
				}
				e.svc.forwardDirect(w, r)
				return
			}
			e.svc.proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	directURL, proxyURL := front(true), front(false)

	tests := []struct {
		name, method, query string
		header              http.Header
	}{
		{"GET", "GET", "", http.Header{"Accept": {"*/*"}, "User-Agent": {"c/1"}}},
		{"client's forwarding fields", "GET", "", http.Header{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"},
			"Forwarded": {"for=1.2.3.4"}, "X-Forwarded-Host": {"evil"}, "X-Forwarded-Proto": {"ftp"}, "X-Forwarded-Port": {"1"}}},
		{"hop-by-hop fields", "GET", "", http.Header{"Connection": {"keep-alive, X-Private"}, "X-Private": {"p"},
			"Keep-Alive": {"300"}, "Proxy-Connection": {"keep-alive"}, "Proxy-Authorization": {"Basic x"}}},
		{"no User-Agent", "GET", "", http.Header{"User-Agent": {""}}},
		{"HEAD", "HEAD", "", nil},
		{"OPTIONS", "OPTIONS", "", nil},
		{"streamed body", "GET", "stream", nil},
		{"trailers", "GET", "trailers", nil},
		{"early hints", "GET", "hint", nil},
		{"204", "GET", "nocontent", nil},
	}
	type got struct {
		seen                       seenRequest
		status                     int
		hints, header, trailer, te string
		body                       string
	}
	exchange := func(t *testing.T, base string, tc struct {
		name, method, query string
		header              http.Header
	}) got {
		req, _ := http.NewRequest(tc.method, base+"/p/a%2Fb?"+tc.query+"&x=1", nil)
		req.Host = testDomain
		for k, v := range tc.header {
			req.Header[k] = v
		}
		req.Header.Set("X-Test", tc.name)
		var hints []string
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				hints = append(hints, fmt.Sprint(code, h))
				return nil
			},
		}))
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		h := res.Header.Clone()
		h.Del("Date")
		var s seenRequest
		select {
		case s = <-seenCh:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the target saw no request", tc.name)
		}
		return got{s, res.StatusCode, strings.Join(hints, ";"), fmt.Sprint(h), fmt.Sprint(res.Trailer), fmt.Sprint(res.TransferEncoding), string(body)}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, p := exchange(t, directURL, tc), exchange(t, proxyURL, tc)
			if d != p {
				t.Errorf("direct:\n%+v\nReverseProxy:\n%+v", d, p)
			}
			if strings.Contains(d.header, "X-Hop") || strings.Contains(d.seen.header, "X-Private") || strings.Contains(d.seen.header, "Forwarded: ") {
				t.Errorf("a hop-by-hop or client forwarding field went through: %+v", d)
			}
		})
	}
}

func TestEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                 true,
		" Text/Event-Stream; charset=utf-8": true,
		"text/event-streams":                false,
		"text/plain":                        false,
		"":                                  false,
	} {
		if got := eventStream(ct); got != want {
			t.Errorf("eventStream(%q): got %v, want %v", ct, got, want)
		}
	}
}

// TestHopByHopField holds the switch to the list removeHopByHop deletes.
func TestHopByHopField(t *testing.T) {
	for _, name := range hopByHop {
		if !hopByHopField(name) {
			t.Errorf("hopByHopField(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"Content-Length", "Host", "Date", "Connections", "te", ""} {
		if hopByHopField(name) {
			t.Errorf("hopByHopField(%q) = true, want false", name)
		}
	}
}
