package balancer

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// passive is passive health, like Envoy's outlier detection: a target whose
// connection could not be established is suspect, and pick skips it, until
// its next successful active health check or until a hold-down of two health
// check intervals passes (an active check that fails meanwhile extends it).
// It never changes the health the service reports (describe-target-health):
// that stays ALB's, from active checks only.
//
// It lives in the Service, not in the table, because every health change
// writes the store and so swaps the table: a group's state would not survive.
type passive struct {
	n     atomic.Int32 // len(until): pick takes no lock while nothing is suspect
	mu    sync.Mutex
	until map[string]time.Time // by check key (tgARN|ip:port): end of the hold-down
}

func newPassive() *passive { return &passive{until: map[string]time.Time{}} }

// suspect reports whether the target is held down now; expired holds go.
func (p *passive) suspect(key string) bool {
	if p == nil || p.n.Load() == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.until[key]
	if !ok {
		return false
	}
	if time.Now().Before(u) {
		return true
	}
	p.drop(key)
	return false
}

// mark holds the target down for hold from now; true when it was not suspect.
func (p *passive) mark(key string, hold time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.until[key]
	if !ok {
		p.n.Add(1)
	}
	p.until[key] = time.Now().Add(hold)
	return !ok || !time.Now().Before(u)
}

// checked applies an active health check result: a success clears the
// suspicion; a failure extends a suspicion already held (the target is still
// unreachable, and the thresholds have not necessarily marked it unhealthy
// yet), but does not start one: active failures count against ALB's
// thresholds only.
func (p *passive) checked(key string, ok bool, hold time.Duration) {
	if p.n.Load() == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, held := p.until[key]; !held {
		return
	}
	if ok {
		p.drop(key)
		return
	}
	p.until[key] = time.Now().Add(hold)
}

func (p *passive) drop(key string) {
	delete(p.until, key)
	p.n.Add(-1)
}

// holdDown is how long a target stays suspect without news from active
// checks: two of the group's health check intervals.
func (g *group) holdDown() time.Duration {
	iv := g.hc.IntervalSeconds
	if iv <= 0 {
		iv = 30 // ELBv2's default
	}
	return 2 * time.Duration(iv) * time.Second
}

// forwarder is the ReverseProxy's transport (3 in doc.go): it sends the
// request from the node IP that accepted the client and, when the connection
// to the target cannot be established, marks the target suspect and sends the
// request to the next target of the group, each target at most once.
type forwarder struct{ s *Service }

func (f forwarder) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := routeFrom(req.Context())
	if rt == nil {
		return nil, errors.New("request without a route")
	}
	tr := f.s.transports.get(rt.node)
	tried := []string{rt.target.addr}
	// The transport's own TLS handshake timeout is a net.Error like any
	// other timeout; the trace tells that the handshake is what failed.
	var handshakeFailed atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err != nil {
				handshakeFailed.Store(true)
			}
		},
	}))
	for {
		res, err := tr.RoundTrip(req)
		if err != nil && handshakeFailed.Load() {
			return nil, &handshakeError{err}
		}
		if err == nil || rt.group == nil || !dialFailed(err) || req.Context().Err() != nil {
			return res, err
		}
		if hold := configured(rt.group.holdDown(), f.s.d.HealthCheckSecond); !localFailure(err) && f.s.passive.mark(rt.target.key, hold) {
			f.s.metrics.suspect()
			f.s.d.Log.Info("target suspect: connection failed", "target_group", rt.group.arn,
				"target", rt.target.addr, "hold_down", hold, "err", err)
		}
		// Not one byte of the request reached the target, so any method may
		// go elsewhere; but a body the client streams is read once: only a
		// request without one (or that can make a new one) is sent again.
		if !replayable(req) {
			return nil, err
		}
		next := rt.group.pick(f.s.passive, tried)
		if next == nil {
			return nil, err
		}
		again, rerr := retarget(req, next.addr)
		if rerr != nil {
			return nil, err
		}
		f.s.metrics.retry()
		f.s.d.Log.Debug("retry on another target", "target_group", rt.group.arn,
			"failed", rt.target.addr, "next", next.addr, "err", err)
		rt.target = next // same goroutine as the proxy: the error page logs the last one
		tried = append(tried, next.addr)
		req = again
	}
}

// handshakeError is a TLS handshake with the target that failed: ALB answers
// it 502, even when it timed out.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "tls handshake with target: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// dialFailed: the connection to the target was never established (refused,
// unreachable, connect timeout), as opposed to a failure after the request
// was written. A TLS handshake failure to an HTTPS target is not one: ALB
// answers it 502 and so does gatehouse.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// localFailure: the dial failed on the node's side (no free source port for
// the node IP), which says nothing about the target: retry, but do not make it
// suspect.
func localFailure(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EADDRINUSE)
}

// replayable: the request can be sent again as it was. ReverseProxy leaves
// Body nil for ContentLength 0; a client's body (known length or chunked) has
// no GetBody and is not replayed, even when unread: being rigorous costs a
// 502 on a rare path, guessing wrong would send half a body.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retarget is req aimed at addr; the Host header stays the client's.
func retarget(req *http.Request, addr string) (*http.Request, error) {
	r := req.Clone(req.Context())
	r.URL.Host = addr
	if req.Body != nil && req.Body != http.NoBody {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	}
	return r, nil
}
