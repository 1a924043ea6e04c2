package gateway

import (
	"crypto/tls"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"gatehouse/internal/handoff"
)

// ServeHTTPFrom serves one request handed over in process (package handoff)
// as if it had arrived on a connection from source through the interface
// endpoint vpceID: what ServeConn's connection gives every request (the
// endpoint, RemoteAddr, a TLS connection state) is set here, so
// $context.identity.sourceIp, the endpoint id, policies (aws:SourceVpce,
// aws:SourceIp), access logs and headers are those of the socket path. The
// request is r as the gateway's http.Server would have parsed it (the
// caller's job; the balancer builds it). It returns handoff.ErrUnavailable,
// having written nothing, once Run has stopped, as a connection would then
// be closed.
func (s *Service) ServeHTTPFrom(w http.ResponseWriter, r *http.Request, vpceID string, source netip.AddrPort) error {
	if !s.inproc.enter(s.stopped) {
		return handoff.ErrUnavailable
	}
	defer s.inproc.leave()
	if headBytes(r) > maxHeaderBytes+4096 {
		// What http.Server answers a request head over MaxHeaderBytes (plus
		// the slack it reads beyond it), before any handler runs.
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Connection", "close")
		w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // the server closes after it: the length is the connection's end
		}
		_, _ = w.Write([]byte("431 Request Header Fields Too Large"))
		return nil
	}
	r.RemoteAddr = source.String()
	r.TLS = &inProcessTLS
	s.serveFrom(w, r, vpceID)
	return nil
}

// inProcessTLS stands for the TLS connection a balancer opens to the
// endpoint: TLS 1.3 (both sides support it), HTTP/1.1, no SNI (ALB sends
// none to an IP target). Nothing in the gateway reads more of it.
var inProcessTLS = tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true, NegotiatedProtocol: "http/1.1"}

// headBytes is the size of r's request line and headers on the wire, as
// http.Server limits it (MaxHeaderBytes).
func headBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	if len(r.TransferEncoding) > 0 {
		n += len("Transfer-Encoding: chunked\r\n")
	}
	return n + 2
}

// inflight counts requests served in process so that Run, once its server
// has shut down, waits for them as Shutdown waits for connections.
type inflight struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed when n drops to 0 after close
}

// enter admits a request unless Run has stopped (stopped is closed).
func (f *inflight) enter(stopped <-chan struct{}) bool {
	select {
	case <-stopped:
		return false
	default:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.closed && f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// wait refuses new requests and waits for the running ones up to timeout.
func (f *inflight) wait(timeout time.Duration) {
	f.mu.Lock()
	f.closed = true
	if f.n == 0 {
		f.mu.Unlock()
		return
	}
	idle := make(chan struct{})
	f.idle = idle
	f.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}
