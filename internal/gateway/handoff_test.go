package gateway

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"gatehouse/internal/handoff"
)

// TestServeHTTPFromMatchesServeConn sends the same requests to the gateway
// over a connection (ServeConn) and handed over in process (ServeHTTPFrom):
// the answers must be the same, the endpoint id deciding as it does on a
// connection.
func TestServeHTTPFromMatchesServeConn(t *testing.T) {
	h := newHarness(t)
	h.walkthroughAPI()
	eps := map[string]string{
		"vpce-test":  h.endpoint("127.0.104.1:0", "vpce-test"),
		"vpce-other": h.endpoint("127.0.104.2:0", "vpce-other"),
	}
	tests := []struct {
		name, vpce, host, path string
		header                 map[string]string
		wantStatus             int
	}{
		{"the API through its endpoint", "vpce-test", domain, "/", nil, 200},
		{"an endpoint the API does not admit", "vpce-other", domain, "/", nil, 403},
		{"no such path", "vpce-test", domain, "/nope", nil, 403},
		{"the health check's Host, an IP", "vpce-test", "127.0.104.1:443", "/", nil, 403},
		{"request head over the server's limit", "vpce-test", domain, "/", map[string]string{"X-Big": strings.Repeat("b", maxHeaderBytes+4096)}, 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Over a connection.
			sock := h.do(eps[tt.vpce], "GET", "https://"+domain+tt.path, tt.host, tt.header, "")
			// In process: the request as the gateway's server would read it.
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Host = tt.host
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			if err := h.svc.ServeHTTPFrom(w, r, tt.vpce, netip.MustParseAddrPort("127.0.104.9:0")); err != nil {
				t.Fatalf("ServeHTTPFrom: %v", err)
			}
			body, _ := io.ReadAll(w.Result().Body)
			if w.Code != tt.wantStatus || sock.status != tt.wantStatus {
				t.Errorf("status: got %d in process and %d over a connection, want %d", w.Code, sock.status, tt.wantStatus)
			}
			if string(body) != sock.body {
				t.Errorf("body: got %q in process, %q over a connection", body, sock.body)
			}
			for _, k := range []string{"Content-Type", "X-Amzn-Errortype"} {
				if g, s := w.Header().Get(k), sock.header.Get(k); g != s {
					t.Errorf("%s: got %q in process, %q over a connection", k, g, s)
				}
			}
			if tt.wantStatus != 431 && (w.Header().Get("x-amzn-RequestId") == "" || w.Header().Get("x-amz-apigw-id") == "") {
				t.Errorf("in process: no x-amzn-RequestId or x-amz-apigw-id header: %v", w.Header())
			}
		})
	}

	t.Run("refused once Run has stopped", func(t *testing.T) {
		h.stopRun()
		if err := <-h.runDone; err != nil {
			t.Fatalf("Run: %v", err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = domain
		w := httptest.NewRecorder()
		if err := h.svc.ServeHTTPFrom(w, r, "vpce-test", netip.MustParseAddrPort("127.0.104.9:0")); !errors.Is(err, handoff.ErrUnavailable) {
			t.Fatalf("ServeHTTPFrom after Run: got %v, want handoff.ErrUnavailable", err)
		}
		if w.Code != http.StatusOK || w.Body.Len() != 0 || len(w.Header()) != 0 {
			t.Errorf("ServeHTTPFrom after Run wrote %d %v %q, want nothing", w.Code, w.Header(), w.Body)
		}
	})
}
