package h1

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/listen"
)

// FuzzServe drives the whole connection loop with any bytes from a client:
// h1's answers, a fallback to net/http part way, a close. It must not panic
// or hang, and every request the handler sees must be one net/http would
// also have read from the bytes the client sent. Half the inputs run with a
// Direct that declines every request, so the handler gets the requests
// Exchange.Request builds.
func FuzzServe(f *testing.F) {
	f.Add([]byte("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGARBAGE\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !bytes.Contains(in, []byte(r.Method+" "+r.RequestURI+" HTTP/1.")) {
				t.Errorf("served %s %q, which the client never sent", r.Method, r.RequestURI)
			}
			// Every word of every field value came from the client (net/http
			// joins a folded value's lines with a space).
			for k, vv := range r.Header {
				for _, v := range vv {
					for _, word := range strings.Fields(v) {
						if !bytes.Contains(in, []byte(word)) {
							t.Errorf("served %s: %q, which the client never sent", k, v)
						}
					}
				}
			}
			_, _ = io.WriteString(w, r.URL.Path)
		})
		fallback := &http.Server{Handler: handler, ReadHeaderTimeout: time.Second, ErrorLog: nil}
		queue := listen.NewQueue(nil)
		go func() { _ = fallback.Serve(queue) }()
		defer func() {
			queue.Close()
			_ = fallback.Close()
		}()
		client, server := net.Pipe()
		c := &Conn{Conn: server, Context: context.Background(), Handler: handler, Fallback: queue.Give,
			HeaderTimeout: time.Second, Log: slog.New(slog.DiscardHandler)}
		if len(in)%2 == 1 {
			c.Direct = func(*Exchange) bool { return false }
		}
		done := make(chan struct{})
		go func() { Serve(c); close(done) }()
		go func() {
			_, _ = client.Write(in)
		}()
		// Read whatever comes back until the server side closes or the
		// client gives up after 200 ms (a kept-alive connection waits for more).
		_ = client.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = io.Copy(io.Discard, client)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return after the client closed")
		}
	})
}
