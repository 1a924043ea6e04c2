package balancer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
)

// timeoutErr is a net.Error that timed out, as net/http's TLS handshake
// timeout is.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timed out" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestClassify: the status ALB answers for each way forwarding fails, told
// apart by error types, never by the error's text.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, http.StatusBadGateway},
		{"connect timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, http.StatusGatewayTimeout},
		{"TLS handshake timeout", &handshakeError{timeoutErr{}}, http.StatusBadGateway},
		{"target speaks no TLS", &handshakeError{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, http.StatusBadGateway},
		{"no response in time", &url.Error{Op: "Get", URL: "http://x", Err: timeoutErr{}}, http.StatusGatewayTimeout},
		{"deadline", fmt.Errorf("round trip: %w", context.DeadlineExceeded), http.StatusGatewayTimeout},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, http.StatusBadGateway},
		{"malformed response", errors.New("malformed HTTP response"), http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Errorf("classify(%v): got %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
