package h1

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDirect drives Conn.Direct the three ways it answers, on one
// connection: bytes to Out (keep-alive, then a close), through Writer, and
// declined (Handler answers); the request it builds is the one Handler gets.
func TestDirect(t *testing.T) {
	handled := make(chan string, 4)
	var built string
	direct := func(x *Exchange) bool {
		switch x.Head.Target {
		case "/raw", "/raw-close":
			out := x.Out()
			_, _ = io.WriteString(out, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw")
			_ = x.Done(x.Head.Target == "/raw")
			return true
		case "/writer":
			r := x.Request()
			built = fmt.Sprintf("%s %s host=%s a=%q remote=%v ctx=%v", r.Method, r.RequestURI, r.Host, r.Header.Values("A"),
				r.RemoteAddr != "", r.Context() == x.Context)
			_, _ = io.WriteString(x.Writer(), "writer")
			return true
		}
		return false
	}
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled <- r.Method + " " + r.RequestURI
		_, _ = io.WriteString(w, "handler")
	}), nil, func(s *Server) { s.Direct = direct })
	raw := "GET /raw HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /writer HTTP/1.1\r\nHost: h\r\nA: 1\r\nA: 2\r\n\r\n" +
		"GET /declined?x HTTP/1.1\r\nHost: h\r\n\r\n" +
		"GET /a{b} HTTP/1.1\r\nHost: h\r\n\r\n" + // not offered: net/http writes it again
		"GET /raw-close HTTP/1.1\r\nHost: h\r\n\r\n"
	res := exchange(t, s.addr, raw, "GET", "GET", "GET", "GET", "GET")
	var bodies []string
	for _, r := range res {
		bodies = append(bodies, bodyOf(r))
	}
	if got, want := strings.Join(bodies, " "), "raw writer handler handler raw"; got != want {
		t.Errorf("bodies: got %q, want %q", got, want)
	}
	if want := `GET /writer host=h a=["1" "2"] remote=true ctx=true`; built != want {
		t.Errorf("Request: got %q, want %q", built, want)
	}
	for _, want := range []string{"GET /declined?x", "GET /a{b}"} {
		select {
		case got := <-handled:
			if got != want {
				t.Errorf("handler got %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("handler never got %q", want)
		}
	}
	// Done(false) closed the connection: nothing follows the last response.
	c := dialBoth(t, s.addr, false)
	defer c.Close()
	_, _ = io.WriteString(c, "GET /raw-close HTTP/1.1\r\nHost: h\r\n\r\nGET /raw HTTP/1.1\r\nHost: h\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(all), "HTTP/1.1 200"); got != 1 {
		t.Errorf("after Done(false): %d responses, want 1 and the connection closed", got)
	}
}

// TestDirectPanics: a Direct that panics costs its connection, as a
// handler's panic does; the server goes on.
func TestDirectPanics(t *testing.T) {
	s := serve(t, echo, nil, func(s *Server) {
		s.Direct = func(x *Exchange) bool {
			if x.Head.Target == "/panic" {
				panic("direct")
			}
			return false
		}
	})
	c := dialBoth(t, s.addr, false)
	defer c.Close()
	_, _ = io.WriteString(c, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if all, _ := io.ReadAll(c); len(all) != 0 {
		t.Errorf("a panicking Direct answered %q, want the connection closed", all)
	}
	if res := exchange(t, s.addr, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n", "GET"); res[0].StatusCode != http.StatusOK {
		t.Errorf("next connection: %d", res[0].StatusCode)
	}
}

// FuzzVerbatimTarget holds verbatimTarget to net/http: a target it passes
// parses as a request URI, and URL.RequestURI writes it back unchanged.
func FuzzVerbatimTarget(f *testing.F) {
	for _, s := range []string{"/", "/a/b?c=d", "/%41%2f", "/a{b}", "/%zz", "/a%", "//x", "/a#b", "/a?b#c", "/~user/@x:1;y=2",
		"/a[b]", "/?", "/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if len(target) == 0 || target[0] != '/' || strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return // not an origin-form target ParseHead takes
		}
		if !verbatimTarget(target) {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatalf("verbatimTarget(%q), but it does not parse: %v", target, err)
		}
		if got := u.RequestURI(); got != target {
			t.Fatalf("verbatimTarget(%q), but net/http writes %q", target, got)
		}
	})
}
