package balancer

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// passive is passive health, like Envoy's outlier detection: a target whose
// connection could not be established, or that failed consecutiveFailures
// tries in a row after it (no response within the per-try timeout, a reset),
// is ejected (suspect), and pick skips it, until its next successful active
// health check or until the hold-down passes (an active check that fails
// meanwhile extends it). No more than maxEjected of a group are ejected at
// once. It never changes the health the service reports
// (describe-target-health): that stays ALB's, from active checks only.
//
// It also keeps each group's recent latency (latency), which sets the
// per-try timeout.
//
// It lives in the Service, not in the table, because every health change
// writes the store and so swaps the table: a group's state would not survive.
type passive struct {
	n     atomic.Int32 // len(until): pick takes no lock while nothing is suspect
	nfail atomic.Int32 // len(fails): a success takes no lock while nothing failed
	mu    sync.Mutex
	until map[string]time.Time // by check key (tgARN|ip:port): end of the hold-down
	fails map[string]int       // by check key: failed tries in a row

	latMu sync.RWMutex
	lat   map[string]*latency // by target group ARN

	logs logLimiter // ejection log lines
}

func newPassive() *passive {
	return &passive{until: map[string]time.Time{}, fails: map[string]int{}, lat: map[string]*latency{}}
}

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
	return p.markLocked(key, hold)
}

func (p *passive) markLocked(key string, hold time.Duration) bool {
	u, ok := p.until[key]
	if !ok {
		p.n.Add(1)
	}
	p.until[key] = time.Now().Add(hold)
	return !ok || !time.Now().Before(u)
}

// eject holds tgt of g down for hold, unless that would eject more than
// maxEjected of g (a target already held is held longer). True when tgt was
// not held before: the caller logs and counts a new ejection.
func (p *passive) eject(g *group, tgt *target, hold time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u, held := p.until[tgt.key]; !held || !time.Now().Before(u) {
		now, ejected := time.Now(), 0
		for i := range g.targets {
			if u, ok := p.until[g.targets[i].key]; ok && now.Before(u) {
				ejected++
			}
		}
		if ejected >= maxEjected(len(g.targets)) {
			return false
		}
	}
	p.resetLocked(tgt.key)
	return p.markLocked(tgt.key, hold)
}

// failed counts one more failed try of the target in a row and returns the
// count.
func (p *passive) failed(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.fails[key]
	if n == 0 {
		p.nfail.Add(1)
	}
	p.fails[key] = n + 1
	return n + 1
}

// succeeded ends the target's run of failed tries (a response came), and so
// does forgive (the request was slow on the next target too: its slowness,
// not the target, made the try fail).
func (p *passive) succeeded(key string) {
	if p.nfail.Load() == 0 {
		return
	}
	p.mu.Lock()
	p.resetLocked(key)
	p.mu.Unlock()
}

func (p *passive) forgive(key string) { p.succeeded(key) }

func (p *passive) resetLocked(key string) {
	if _, ok := p.fails[key]; ok {
		delete(p.fails, key)
		p.nfail.Add(-1)
	}
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

// latency is p.latencyOf(g.arn), kept in g (a table's groups live as long
// as the table): one atomic load a request instead of a lock and a lookup.
func (g *group) latency(p *passive) *latency {
	if l := g.lat.Load(); l != nil {
		return l
	}
	l := p.latencyOf(g.arn)
	g.lat.Store(l)
	return l
}

// latencyOf is the group's latency record, made on first use.
func (p *passive) latencyOf(arn string) *latency {
	p.latMu.RLock()
	l := p.lat[arn]
	p.latMu.RUnlock()
	if l != nil {
		return l
	}
	p.latMu.Lock()
	defer p.latMu.Unlock()
	if l = p.lat[arn]; l == nil {
		l = &latency{}
		p.lat[arn] = l
	}
	return l
}

// keepGroups forgets the latency and failure runs of groups and targets
// that no longer exist.
func (p *passive) keepGroups(groups map[string]*group) {
	p.latMu.Lock()
	for arn := range p.lat {
		if groups[arn] == nil {
			delete(p.lat, arn)
		}
	}
	p.latMu.Unlock()
	p.mu.Lock()
	for key := range p.fails {
		arn, _, _ := strings.Cut(key, "|")
		if groups[arn] == nil {
			p.resetLocked(key)
		}
	}
	p.mu.Unlock()
}

// holdDown is how long a target stays suspect without news from active
// checks: two of the group's health check intervals (scaled by second, as
// the interval is) and one check timeout, so the hold outlasts the check
// that will tell whether the target is back.
func (g *group) holdDown(second time.Duration) time.Duration {
	iv := g.hc.IntervalSeconds
	if iv <= 0 {
		iv = 30 // ELBv2's default
	}
	to := g.hc.TimeoutSeconds
	if to <= 0 {
		to = 5 // ELBv2's default for HTTP and HTTPS groups
	}
	return configured(2*time.Duration(iv)*time.Second, second) + time.Duration(to)*time.Second
}

// candidates is how many targets pick chooses among for a request: the
// healthy ones, or every one when none is healthy.
func (g *group) candidates() int {
	pool := g.healthy
	if local := g.local.Load(); local != nil {
		pool = *local
	}
	if len(pool) == 0 {
		return len(g.targets)
	}
	return len(pool)
}

// forwarder is the ReverseProxy's transport (3 in doc.go): it sends the
// request from the node IP that accepted the client and, when a try fails in
// a way that another target may fix, sends the request to the next target of
// the group, each target at most once and at most maxTries in all:
//   - the connection could not be established: any method whose body can be
//     sent again (not one byte reached the target); the target is ejected at
//     once;
//   - an idempotent request (GET, HEAD, OPTIONS without a body that cannot be
//     made again) got no response headers within the per-try timeout, or its
//     connection failed after the request was written: consecutiveFailures of
//     those in a row eject the target.
//
// The last try waits the full response timeout, as a request that is not
// retryable always does.
type forwarder struct{ s *Service }

func (f forwarder) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := routeFrom(req.Context())
	if rt == nil {
		return nil, errors.New("request without a route")
	}
	tr := f.s.transports.get(rt.node)
	// The transport's own TLS handshake timeout is a net.Error like any
	// other timeout; the trace tells that the handshake is what failed. Only
	// the transport (try) needs it, and only to HTTPS targets: the fast path
	// and the hand-off tell a handshake failure themselves.
	var handshakeFailed atomic.Bool
	traced := false
	trace := func(req *http.Request) *http.Request {
		if traced || rt.group != nil && rt.group.protocol != "HTTPS" {
			return req
		}
		traced = true
		return req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
				if err != nil {
					handshakeFailed.Store(true)
				}
			},
		}))
	}
	fast := rt.group != nil && fastEligible(req, rt.group.protocol)
	try := func(start time.Time, perTry time.Duration) (*http.Response, error) {
		if serve, ok := f.s.inProcessTarget(rt.target); ok {
			return f.tryInProcess(rt, req, serve, perTry) // hand-off: the target is served here (handoff.go)
		}
		if fast {
			return f.tryFast(rt, req, start, perTry)
		}
		req = trace(req)
		res, err := f.try(tr, req, perTry)
		if err != nil && handshakeFailed.Load() {
			return nil, &handshakeError{err}
		}
		return res, err
	}
	next := func(addr string) error {
		again, err := retarget(req, addr)
		if err == nil {
			req = again
		}
		return err
	}
	return forward(f, rt, req.Context(), req.Method, replayable(req), try, next)
}

// forward makes the tries of one request (forwarder): try sends it to
// rt.target within a per-try timeout (0: the response timeout) and next aims
// it at another target's address before a retry. method and replay tell
// which failures may be retried: an idempotent method, and a request that can
// be sent again as it was.
func forward[R any](f forwarder, rt *route, ctx context.Context, method string, replay bool,
	try func(start time.Time, perTry time.Duration) (R, error), next func(addr string) error) (R, error) {
	var none R
	var triedBuf [maxTries]string
	tried := append(triedBuf[:0], rt.target.addr)
	p := f.s.passive
	var lat *latency
	if rt.group != nil {
		lat = rt.group.latency(p)
	}
	retryable := rt.group != nil && idempotent(method) && replay
	// Targets this request timed out on, and the least per-try timeout it
	// was given: a later try slower than that forgives them.
	var timedOut [maxTries]*target
	nTimedOut, cut := 0, time.Duration(0)
	for {
		perTry := time.Duration(0)
		if retryable && len(tried) < min(maxTries, rt.group.candidates()) {
			perTry = lat.perTry(responseTimeout)
		}
		// A first try without a body starts as its route did (one clock
		// read less); a body's upload is not the target's latency.
		start := rt.started
		if rt.body != nil || len(tried) > 1 {
			start = time.Now()
		}
		res, err := try(start, perTry)
		if err == nil {
			rt.took = time.Since(rt.started)
			took := rt.took - start.Sub(rt.started)
			if lat != nil {
				lat.observe(took)
			}
			p.succeeded(rt.target.key)
			if nTimedOut > 0 && took >= cut {
				for _, t := range timedOut[:nTimedOut] {
					p.forgive(t.key)
				}
			}
			return res, nil
		}
		if hs := (*handshakeError)(nil); errors.As(err, &hs) {
			return none, err // ALB's 502, not retried
		}
		if rt.group == nil || ctx.Err() != nil || rt.body.Err() != nil {
			return none, err
		}
		switch {
		case dialFailed(err):
			if !localFailure(err) {
				f.eject(rt, "connect", err)
			}
			// Not one byte of the request reached the target, so any method
			// may go elsewhere; but a body the client streams is read once:
			// only a request without one (or that can make a new one) is
			// sent again.
			if !replay {
				return none, err
			}
		case retryable && (errors.Is(err, errPerTryTimeout) || connectionFailed(err)):
			reason := "error"
			if errors.Is(err, errPerTryTimeout) {
				reason = "timeout"
				timedOut[nTimedOut], nTimedOut = rt.target, nTimedOut+1
				if cut == 0 || perTry < cut {
					cut = perTry
				}
			}
			if p.failed(rt.target.key) >= consecutiveFailures {
				f.eject(rt, reason, err)
			}
		default:
			return none, err
		}
		if len(tried) >= maxTries {
			return none, err
		}
		to := rt.group.pick(p, tried)
		if to == nil || next(to.addr) != nil {
			return none, err
		}
		f.s.metrics.retry()
		f.s.d.Log.Debug("retry on another target", "target_group", rt.group.arn,
			"failed", rt.target.addr, "next", to.addr, "err", err)
		rt.target = to // same goroutine as the proxy: the error page logs the last one
		tried = append(tried, to.addr)
	}
}

// try sends req once. A perTry above zero bounds the wait for the response
// headers: past it the try is cancelled (its connection closed) and fails
// with errPerTryTimeout. The try's context ends with the request's, so the
// response body stays readable after the timer is stopped.
func (f forwarder) try(tr *http.Transport, req *http.Request, perTry time.Duration) (*http.Response, error) {
	if perTry <= 0 {
		return tr.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(perTry, func() { cancel(errPerTryTimeout) })
	res, err := tr.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() && req.Context().Err() == nil {
		// The timer fired: whatever came back is cut off.
		if res != nil {
			res.Body.Close()
		}
		return nil, errPerTryTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	// The try's context ends when the proxy is done with the body. Left
	// registered on the request's, it would stay, with what it holds, until
	// the client's connection closes.
	switch {
	case res.Body == http.NoBody:
		cancel(nil)
	case res.StatusCode != http.StatusSwitchingProtocols: // an upgrade's body is the connection: left as it is
		res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	}
	return res, nil
}

// cancelOnClose is a response body that ends the try's context when closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// tryFast is try over the HTTP/1.1 fast path (fast.go), started at start:
// the per-try timeout is a read deadline there, not a context.
func (f forwarder) tryFast(rt *route, req *http.Request, start time.Time, perTry time.Duration) (*http.Response, error) {
	wait := responseTimeout
	if perTry > 0 {
		wait = perTry
	}
	res, err := fastRoundTrip(f.s.transports.fast.get(rt.node, req.URL.Host, rt.group.protocol == "HTTPS"), req, start, wait)
	if err != nil && perTry > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, errPerTryTimeout
	}
	return res, err
}

// eject holds the target of rt's latest try down and, when that is news,
// counts and logs it (at most one line per ejectionLogEvery).
func (f forwarder) eject(rt *route, reason string, err error) {
	hold := rt.group.holdDown(f.s.d.HealthCheckSecond)
	if !f.s.passive.eject(rt.group, rt.target, hold) {
		return
	}
	f.s.metrics.ejected(reason)
	if ok, held := f.s.passive.logs.allow(time.Now(), ejectionLogEvery); ok {
		f.s.d.Log.Info("target ejected", "target_group", rt.group.arn, "target", rt.target.addr,
			"reason", reason, "hold_down", hold, "err", err, "ejections_not_logged", held)
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

// connectionFailed: the connection to the target broke after it was made
// (reset, closed, a read or write error) before a response came, as a target
// that crashes or restarts mid-request does; not a response the target sent
// that was malformed or too large, which another target would most likely
// send too and which ALB answers 502.
func connectionFailed(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.As(err, &op)
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
