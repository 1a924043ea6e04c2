package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// dialBoth connects to s over plain TCP or TLS, as the test's name says.
func dialBoth(t *testing.T, addr string, withTLS bool) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if withTLS {
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a test's own certificate
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

func testTLSConfig(t *testing.T) *tls.Config {
	ref := httptest.NewUnstartedServer(nil)
	ref.StartTLS() // for its certificate
	t.Cleanup(ref.Close)
	return &tls.Config{Certificates: ref.TLS.Certificates, NextProtos: []string{"http/1.1"}}
}

// A client that closes its connection while its request waits (a proxy's
// target that does not answer) cancels the request's context, as net/http's
// server does: the handler stops waiting for no one.
func TestServeNoticesAClientGone(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[withTLS], func(t *testing.T) {
			started, ended := make(chan struct{}), make(chan error, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				select {
				case <-r.Context().Done():
					ended <- r.Context().Err()
				case <-time.After(20 * time.Second):
					ended <- errors.New("the request's context did not end")
				}
			})
			var conf *tls.Config
			if withTLS {
				conf = testTLSConfig(t)
			}
			s := serve(t, h, conf)
			c := dialBoth(t, s.addr, withTLS)
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			<-started
			c.Close()
			if err := <-ended; !errors.Is(err, context.Canceled) {
				t.Fatalf("handler: %v, want context.Canceled", err)
			}
		})
	}
}

// A request slower than watchDelay is watched; the watch must neither cancel
// it nor lose the bytes of a request pipelined behind it, and the connection
// must serve the next request after it.
func TestServeWatchKeepsTheConnection(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[withTLS], func(t *testing.T) {
			started := make(chan struct{}, 3)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				started <- struct{}{}
				if r.URL.Path == "/slow" {
					// Past watchDelay: the watch reads while this waits.
					select {
					case <-r.Context().Done():
						http.Error(w, "cancelled", http.StatusInternalServerError)
						return
					case <-time.After(5 * watchDelay):
					}
				}
				_, _ = io.WriteString(w, "done "+r.URL.Path)
			})
			var conf *tls.Config
			if withTLS {
				conf = testTLSConfig(t)
			}
			s := serve(t, h, conf)
			c := dialBoth(t, s.addr, withTLS)
			defer c.Close()
			br := bufio.NewReader(c)
			read := func(want string) {
				t.Helper()
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if body := bodyOf(res); res.StatusCode != 200 || body != want {
					t.Fatalf("got %d %q, want 200 %q", res.StatusCode, body, want)
				}
			}
			// A slow request alone: the watch's read is stopped, and the
			// next request on the connection is read whole.
			_, _ = io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
			read("done /slow")
			_, _ = io.WriteString(c, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
			read("done /next")
			// A request sent while the slow one runs: the watch reads it
			// into the buffer, where the next head is read from.
			_, _ = io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
			<-started
			<-started
			<-started
			time.Sleep(3 * watchDelay) // not a timing assertion: lets the watch start reading first
			_, _ = io.WriteString(c, "GET /pipelined HTTP/1.1\r\nHost: h\r\n\r\n")
			read("done /slow")
			read("done /pipelined")
		})
	}
}

// The watch follows the connection's bytes through a fallback too: a body
// request after a watched one still goes to net/http whole.
func TestServeWatchThenFallback(t *testing.T) {
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(4 * watchDelay)
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, r.URL.Path+" "+string(body))
	}), nil)
	c := dialBoth(t, s.addr, false)
	defer c.Close()
	_, _ = io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(3 * watchDelay) // the watch reads when the POST arrives
	_, _ = io.WriteString(c, "POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
	br := bufio.NewReader(c)
	for _, want := range []string{"/slow ", "/post hello"} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if body := bodyOf(res); body != want {
			t.Fatalf("got %q, want %q", body, want)
		}
	}
	if s.fallback.Load() != 1 {
		t.Errorf("net/http got %d connections, want 1", s.fallback.Load())
	}
}
