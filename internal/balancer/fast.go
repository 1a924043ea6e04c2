package balancer

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gatehouse/internal/h1"
	"gatehouse/internal/listen"
)

// The HTTP/1.1 fast path: a GET, HEAD or OPTIONS without a body to an HTTP
// or HTTPS target is sent and its response read on the handler's own goroutine,
// over a connection from a small pool of this file, instead of through
// http.Transport, whose two goroutines per connection (readLoop, writeLoop)
// and the channel hand-offs between them and the caller cost more than the
// rest of the hop. Everything else goes through http.Transport: requests
// with a body (a target may answer before it has read the body, which needs
// the concurrent write), upgrades, Expect: 100-continue. What the fast path
// does is what the transport does for these requests: the same dial (from
// the node IP), the same TLS (HTTP/1.1 without ALPN, no certificate check
// and no SNI to an IP, as ALB; sessions resumed; a failed handshake is
// ALB's 502), the same limits (response header bytes, response timeout),
// the client's Accept-Encoding and the target's Content-Encoding passed as
// they are (the transport's DisableCompression, as ALB: newTransport), 1xx
// responses passed to the proxy's trace, a stale pooled connection retried
// once on a new one (these methods are safe to send again), keep-alive
// unless either side closes.

// fastEligible reports whether the fast path may send req to a target of
// protocol.
func fastEligible(req *http.Request, protocol string) bool {
	if protocol != "HTTP" && protocol != "HTTPS" || !idempotent(req.Method) || req.Close {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	h := req.Header
	return len(h["Upgrade"]) == 0 && len(h["Expect"]) == 0 && len(h["Transfer-Encoding"]) == 0
}

// fastPools are the fast path's idle connections, per (node IP, target
// address): a connection is never shared across nodes, as with transports.
type fastPools struct {
	mu     sync.Mutex
	byDest map[fastKey]*fastPool
}

type fastKey struct {
	node, addr string
	tls        bool
}

// fastPool is one destination's idle connections, the newest last (reused
// first: it is the least likely to have been closed by the target).
type fastPool struct {
	addr    string
	dialer  *net.Dialer
	tls     *tls.Config // HTTPS targets; nil: plain HTTP
	retired atomic.Bool // forgotten by fastPools: a connection put back closes
	mu      sync.Mutex
	idle    []*fastConn
}

// fastConn is a connection to a target with its buffers.
type fastConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	rx       *rawExchange // a plain TCP connection's (sendAndRead); nil over TLS
	limit    int64        // bytes left to read before the response headers are too big; <0: no limit
	lastUsed time.Time
	deadline time.Time  // the connection's (bound, unbound); zero: none
	fields   []h1.Field // the latest response head's (peekVerbatim), reused
}

func (c *fastConn) Read(p []byte) (int, error) {
	if c.limit >= 0 {
		if c.limit == 0 {
			return 0, errHeadersTooLarge
		}
		if int64(len(p)) > c.limit {
			p = p[:c.limit]
		}
	}
	var n int
	var err error
	if c.rx != nil && c.bw.Buffered() > 0 { // a request head waits (write)
		n, err = c.sendAndRead(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if c.limit >= 0 {
		c.limit -= int64(n)
	}
	return n, err
}

var errHeadersTooLarge = errors.New("target's response headers exceed the limit")

// maxIdlePerDest bounds the idle connections kept per destination, as
// http.Transport's MaxIdleConnsPerHost does in newTransport.
const maxIdlePerDest = 1024

func newFastPools() *fastPools { return &fastPools{byDest: map[fastKey]*fastPool{}} }

func (fp *fastPools) get(node, addr string, https bool) *fastPool {
	k := fastKey{node, addr, https}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	p := fp.byDest[k]
	if p == nil {
		d := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
		if ip := net.ParseIP(node); ip != nil {
			d.LocalAddr = &net.TCPAddr{IP: ip}
			d.Control = listen.DialControl
		}
		p = &fastPool{addr: addr, dialer: d}
		if https {
			// Resumed sessions spare a new connection the full handshake.
			p.tls = &tls.Config{InsecureSkipVerify: true, ClientSessionCache: tls.NewLRUClientSessionCache(64)} //nolint:gosec // ALB does not validate targets
		}
		fp.byDest[k] = p
	}
	return p
}

// keep closes the idle connections of node IPs not in nodes and forgets them.
func (fp *fastPools) keep(nodes map[string]bool) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	for k, p := range fp.byDest {
		if !nodes[k.node] {
			p.retire()
			delete(fp.byDest, k)
		}
	}
}

// keepTargets closes the idle connections to addresses that are no target
// of any group in t and forgets them.
func (fp *fastPools) keepTargets(t *table) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.byDest) == 0 {
		return
	}
	targets := map[string]bool{}
	for _, g := range t.groups {
		for i := range g.targets {
			targets[g.targets[i].addr] = true
		}
	}
	for k, p := range fp.byDest {
		if !targets[k.addr] {
			p.retire()
			delete(fp.byDest, k)
		}
	}
}

func (p *fastPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// retire closes the idle connections and, from now on, the ones put back:
// the pool is forgotten, but requests in flight may still hold it.
func (p *fastPool) retire() {
	p.mu.Lock()
	p.retired.Store(true)
	p.mu.Unlock()
	p.closeIdle()
}

// take is an idle connection, or nil. Connections idle for longer than the
// transport's IdleConnTimeout at now are closed on the way. (The pool's
// callers pass the times they already have: a clock read costs a busy hop
// more than it would seem, 30 to 55 ns in a VM.)
func (p *fastPool) take(now time.Time) *fastConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if now.Sub(c.lastUsed) < defaultIdleTimeout {
			return c
		}
		c.Close()
	}
	return nil
}

// put keeps c, last used at now, for the next request. The oldest idle
// connection goes when it has been idle for the transport's IdleConnTimeout:
// take reuses the newest, so after a burst the oldest would otherwise stay
// open for good.
func (p *fastPool) put(c *fastConn, now time.Time) {
	c.lastUsed = now
	var expired *fastConn
	p.mu.Lock()
	if len(p.idle) > 0 && now.Sub(p.idle[0].lastUsed) >= defaultIdleTimeout {
		expired = p.idle[0]
		p.idle[0] = nil
		p.idle = p.idle[1:]
	}
	if len(p.idle) < maxIdlePerDest && !p.retired.Load() {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if expired != nil {
		expired.Close()
	}
	if c != nil {
		c.Close()
	}
}

// dial connects to addr, and shakes hands when the target is HTTPS, within
// wait at most (a per-try timeout bounds the connection too). A handshake
// that fails is a handshakeError (ALB's 502); one cut short by wait is
// os.ErrDeadlineExceeded, as a response that does not come in time.
func (p *fastPool) dial(ctx context.Context, addr string, wait time.Duration) (*fastConn, error) {
	if wait < connectTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	c, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if p.tls != nil {
		limit := min(wait, targetTLSTimeout)
		tc := tls.Client(c, p.tls)
		_ = tc.SetDeadline(time.Now().Add(limit))
		if err := tc.HandshakeContext(ctx); err != nil {
			tc.Close()
			cut := errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
			if limit < targetTLSTimeout && cut {
				return nil, fmt.Errorf("tls handshake with target: %w", os.ErrDeadlineExceeded)
			}
			return nil, &handshakeError{err}
		}
		_ = tc.SetDeadline(time.Time{})
		c = tc
	}
	fc := &fastConn{Conn: c, bw: bufio.NewWriterSize(c, 4<<10), limit: -1}
	fc.rx = newRawExchange(c, fc.bw)
	fc.br = bufio.NewReaderSize(fc, 4<<10) // through fc: its limit bounds the response headers
	return fc, nil
}

// fastRoundTrip sends req (fastEligible) to its URL's host through pool and
// reads the response headers within wait (the per-try or the response
// timeout) of now, when forward started the try.
func fastRoundTrip(pool *fastPool, req *http.Request, now time.Time, wait time.Duration) (*http.Response, error) {
	var res *http.Response
	ab := &abort{ctx: req.Context(), once: true}
	c, err := pool.send(ab, req.URL.Host, now, wait, func(c *fastConn) (err error) {
		if err = c.writeRequest(req, now, wait); err == nil {
			res, err = c.receive(req)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return pool.withBody(c, ab, res), nil
}

// withBody gives res, read from c (send), its body: c goes back to the pool
// once the body is read whole.
func (pool *fastPool) withBody(c *fastConn, ab *abort, res *http.Response) *http.Response {
	if res.Body == http.NoBody {
		// HEAD, 204, 304: the response is whole already.
		if ab.disarm(c) && !res.Close {
			pool.put(c, time.Now())
		} else {
			c.Close()
		}
		return res
	}
	res.Body = &fastBody{src: res.Body, c: c, pool: pool, abort: ab, reusable: !res.Close}
	return res
}

// send runs exchange (a request written and its response's headers read)
// on an idle connection to addr, else a new one, and returns the connection
// with the response's body still to read, armed in ab: the caller disarms
// it. On error the connection is closed. now is when the try started.
func (pool *fastPool) send(ab *abort, addr string, now time.Time, wait time.Duration, exchange func(*fastConn) error) (*fastConn, error) {
	for attempt := 0; ; attempt++ {
		var c *fastConn
		if attempt == 0 {
			c = pool.take(now)
		}
		reused := c != nil
		if c == nil {
			var err error
			if c, err = pool.dial(ab.ctx, addr, wait); err != nil {
				return nil, err
			}
		}
		ab.arm(c)
		err := exchange(c)
		if err == nil {
			return c, nil
		}
		ab.disarm(c)
		c.Close()
		if ab.ctx.Err() != nil {
			return nil, ab.ctx.Err()
		}
		// A pooled connection the target closed while it was idle fails
		// before a byte of response: send again on a new one, once. The
		// connections idle longer than this one (a target's keep-alive
		// timeout) or since before it (a restart) are likely closed too.
		var stale *staleError
		if reused && attempt == 0 && errors.As(err, &stale) {
			pool.closeIdle()
			continue
		}
		if errors.As(err, &stale) {
			err = stale.err
		}
		return nil, err
	}
}

// abort closes the target connection of an exchange in flight when its
// client's context ends (a client that goes away, or a stopping server), as
// the transport's cancellation does. A client connection the verbatim
// forward serves keeps one for all its requests (idleConn.abort): one
// registration on its context instead of one per request; a once abort
// serves one exchange and unregisters with it.
type abort struct {
	ctx   context.Context
	once  bool
	cur   atomic.Pointer[fastConn]
	unreg func() bool // the registration (context.AfterFunc), from the first arm
}

// arm makes c the connection to close.
func (a *abort) arm(c *fastConn) {
	a.cur.Store(c)
	if a.unreg == nil {
		a.unreg = context.AfterFunc(a.ctx, a.fire)
	}
	if a.ctx.Err() != nil {
		a.fire() // ended before: the registration may have run already
	}
}

func (a *abort) fire() {
	if c := a.cur.Swap(nil); c != nil {
		c.Close()
	}
}

// disarm ends c's exchange; it reports false when the context's end closed
// c first.
func (a *abort) disarm(c *fastConn) bool {
	ok := a.cur.CompareAndSwap(c, nil)
	if a.once && a.unreg != nil {
		a.unreg()
		a.unreg = nil // a next arm (send's retry on a new connection) registers again
	}
	return ok
}

// staleError is a failure before any byte of the response came back.
type staleError struct{ err error }

func (e *staleError) Error() string { return e.err.Error() }
func (e *staleError) Unwrap() error { return e.err }

// writeRequest writes req, and bounds the exchange (the write and the
// response's headers) by wait: a target that stopped reading (its window
// full) must not hold the try past it.
func (c *fastConn) writeRequest(req *http.Request, now time.Time, wait time.Duration) error {
	return c.write(now, wait, func(bw *bufio.Writer) error { return h1.WriteRequest(bw, req) })
}

// write writes a request head with head, within wait from now; over plain
// TCP the head waits in bw for the read of the response, which sends it
// (sendAndRead).
func (c *fastConn) write(now time.Time, wait time.Duration, head func(*bufio.Writer) error) error {
	if err := c.bound(now, wait); err != nil {
		return err
	}
	err := head(c.bw)
	if err == nil && c.rx != nil {
		return nil // the read that waits for the response sends it
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return err // a target that stopped reading, not a closed connection
		}
		return &staleError{err}
	}
	return nil
}

// sendAndRead sends the request head waiting in bw and reads the first
// bytes of the response into p, once they are there. net.Conn's Read, after
// a Write, reads first and waits after: on a target that had no time to
// answer, that read finds nothing, one system call in vain per request:
// about 5 % of the hop's CPU in a VM where a system call costs a microsecond
// (bench/README.md). The raw read resets the socket's readiness before it
// calls its function, and the head is written from there: a response, or a
// close or reset of the connection, comes after the reset and wakes the
// wait. A target that sent bytes before the request went out (none does:
// an HTTP/1.1 server answers a head it has read) is not read until more
// come or the deadline (bound) passes. Errors are net.Conn's: a write's as
// its Write reports it, a read's as its Read.
func (c *fastConn) sendAndRead(p []byte) (int, error) {
	x := c.rx
	x.p, x.n, x.werr, x.rerr = p, 0, nil, nil
	err := x.conn.Read(x.step)
	n, werr, rerr := x.n, x.werr, x.rerr
	x.p, x.werr, x.rerr = nil, nil, nil
	switch {
	case werr != nil:
		return 0, werr
	case err != nil: // the poller's: the deadline, or the connection closed
		var op *net.OpError
		if errors.As(err, &op) {
			op.Op = "read"
		}
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// rawExchange is sendAndRead's raw read, kept with its connection: the
// function a raw read calls escapes, and so would all it captures, four
// allocations per request.
type rawExchange struct {
	conn       syscall.RawConn
	bw         *bufio.Writer
	step       func(fd uintptr) bool // x.run, bound once
	p          []byte
	n          int
	werr, rerr error
}

// newRawExchange is c's rawExchange, or nil when c is not plain TCP.
func newRawExchange(c net.Conn, bw *bufio.Writer) *rawExchange {
	raw := rawConn(c)
	if raw == nil {
		return nil
	}
	x := &rawExchange{conn: raw, bw: bw}
	x.step = x.run
	return x
}

// run is called by the raw read: first to send the head waiting in bw (then
// the read waits), then whenever the socket is readable, until a read gets
// bytes, the end or an error.
func (x *rawExchange) run(fd uintptr) bool {
	if x.bw.Buffered() > 0 {
		x.werr = x.bw.Flush()
		return x.werr != nil
	}
	x.n, x.rerr = readFD(fd, x.p)
	for x.rerr == syscall.EINTR {
		x.n, x.rerr = readFD(fd, x.p)
	}
	return x.rerr != syscall.EAGAIN
}

// bound sets the connection's deadline wait from now. A deadline already
// set up to wait/64 before that stays (a response timeout of 60 s is moved
// about once a second): with a response whose body comes with its head,
// which needs no unbound, a busy connection's exchanges move no timer.
func (c *fastConn) bound(now time.Time, wait time.Duration) error {
	d := now.Add(wait)
	if !c.deadline.IsZero() && !c.deadline.After(d) && d.Sub(c.deadline) <= wait/64 {
		return nil
	}
	if err := c.SetDeadline(d); err != nil {
		return err
	}
	c.deadline = d
	return nil
}

// unbound clears the deadline, for a body read at the target's pace.
func (c *fastConn) unbound() error {
	if c.deadline.IsZero() {
		return nil
	}
	c.deadline = time.Time{}
	return c.SetDeadline(time.Time{})
}

// awaitResponse waits for the response's first byte, within the limit on
// its headers: a connection that fails before it is stale.
func (c *fastConn) awaitResponse() error {
	c.limit = maxResponseHeaders
	if _, err := c.br.Peek(1); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		return &staleError{err}
	}
	return nil
}

// receive reads the response headers to req, skipping (and tracing) 1xx
// responses as http.Transport does.
func (c *fastConn) receive(req *http.Request) (*http.Response, error) {
	if err := c.awaitResponse(); err != nil {
		return nil, err
	}
	trace := httptrace.ContextClientTrace(req.Context())
	var res *http.Response
	var err error
	for n1xx := 0; ; n1xx++ {
		res, err = h1.ReadResponse(c.br, req)
		if err != nil {
			if errors.Is(err, errHeadersTooLarge) {
				return nil, errHeadersTooLarge
			}
			return nil, err
		}
		code := res.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			break
		}
		if n1xx >= 5 {
			return nil, errors.New("target sent too many 1xx responses")
		}
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(res.Header)); err != nil {
				return nil, err
			}
		} else if rt := routeFrom(req.Context()); rt != nil && rt.client != nil {
			rt.relay1xx(code, textproto.MIMEHeader(res.Header))
		}
		c.limit = maxResponseHeaders
	}
	c.limit = -1
	if err := c.unbound(); err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Not asked for (no Upgrade header was sent): nothing can follow it.
		res.Body.Close()
		return nil, errors.New("target switched protocols unasked")
	}
	return res, nil
}

// fastBody is a response body on a fast connection: read to its end, the
// connection goes back to the pool; closed before, or with either side
// closing, the connection closes.
type fastBody struct {
	src      io.ReadCloser
	c        *fastConn
	pool     *fastPool
	abort    *abort
	reusable bool
	done     bool
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	if err == io.EOF {
		b.finish(true)
	}
	return n, err
}

func (b *fastBody) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

// finish releases the connection: to the pool when the body was read whole
// and nothing cancelled the exchange meanwhile, else closed.
func (b *fastBody) finish(whole bool) {
	b.done = true
	b.src.Close()
	if b.abort.disarm(b.c) && whole && b.reusable {
		b.pool.put(b.c, time.Now())
		return
	}
	b.c.Close()
}
