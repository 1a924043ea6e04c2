package balancer

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// idleConn is a client connection that closes once no byte has moved either
// way for its idle timeout (ALB's idle_timeout.timeout_seconds), so a client
// trickling a body or reading a response a byte a minute cannot hold it, and
// the target connection behind it, forever. Upgraded (hijacked) connections
// keep it: they read and write through it.
//
// It is a watchdog timer rather than conn deadlines pushed on every Read and
// Write, because http.Server sets read deadlines of its own (the header
// timeout, and a deadline in the past to abort its background read) that such
// pushes would override. A read or write only raises a flag, with no clock
// read; the timer looks at the flag idleChecks times per idle timeout, so the
// connection closes after idle to idle + idle/idleChecks of silence.
type idleConn struct {
	net.Conn
	idle  time.Duration
	moved atomic.Bool  // a byte moved since the timer's latest look
	held  atomic.Int32 // requests waiting for their target (see targetWait)

	mu     sync.Mutex // guards timer, closed and quiet
	timer  *time.Timer
	closed bool
	quiet  time.Duration // silence the timer has seen so far

	abort abort     // the verbatim forward's (abortFor)
	pool  *fastPool // the verbatim forward's latest (poolFor)
}

// poolFor is the fast pool to rt's target: the connection's latest when it
// is that target's and not retired (a connection's requests mostly go to one
// target), else fastPools' (always, for a nil c). Only the connection's
// goroutine calls it.
func (c *idleConn) poolFor(s *Service, rt *route) *fastPool {
	https := rt.group.protocol == "HTTPS"
	if c == nil {
		return s.transports.fast.get(rt.node, rt.target.addr, https)
	}
	if p := c.pool; p != nil && p.addr == rt.target.addr && (p.tls != nil) == https && !p.retired.Load() {
		return p
	}
	c.pool = s.transports.fast.get(rt.node, rt.target.addr, https)
	return c.pool
}

// idleChecks is how often per idle timeout the watchdog looks.
const idleChecks = 8

// abortFor is the abort of the connection's requests, whose context is ctx
// (package h1 gives them all the same, and serves one at a time).
func (c *idleConn) abortFor(ctx context.Context) *abort {
	if c.abort.ctx == nil {
		c.abort.ctx = ctx
	}
	return &c.abort
}

func newIdleConn(c net.Conn, idle time.Duration) *idleConn {
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	ic := &idleConn{Conn: c, idle: idle}
	ic.mu.Lock()
	ic.timer = time.AfterFunc(idle/idleChecks, ic.expire)
	ic.mu.Unlock()
	return ic
}

// touch notes that a byte moved (the load spares a busy connection a
// store to the flag the timer clears).
func (c *idleConn) touch() {
	if !c.moved.Load() {
		c.moved.Store(true)
	}
}

func (c *idleConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.timer.Stop()
	c.mu.Unlock()
	return c.Conn.Close()
}

// expire runs when the timer fires: it closes the connection once it has
// seen idle of silence, else looks again a step later. A request waiting
// for its target is not silence (responseTimeout bounds that wait).
func (c *idleConn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	step := c.idle / idleChecks
	if c.moved.Swap(false) || c.held.Load() > 0 {
		c.quiet = 0
	} else {
		c.quiet += step
	}
	if c.quiet < c.idle {
		c.timer.Reset(step)
		return
	}
	c.closed = true
	c.Conn.Close()
}

type idleKey struct{}

func connFrom(ctx context.Context) *idleConn {
	c, _ := ctx.Value(idleKey{}).(*idleConn)
	return c
}

// targetWait marks one forwarded request's wait for its target: from the end
// of the request body (hold) to the response or the error (release). While any
// request on the connection waits, the idle timer does not close it, so a slow
// target gets ALB's 504 instead of a dropped connection. A nil conn (not
// expected) makes both no-ops.
type targetWait struct {
	c     *idleConn
	mu    sync.Mutex
	state int // 0 before hold, 1 holding, 2 released
}

func (w *targetWait) hold() {
	if w == nil || w.c == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == 0 {
		w.state = 1
		w.c.held.Add(1)
	}
}

func (w *targetWait) release() {
	if w == nil || w.c == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == 1 {
		w.c.held.Add(-1)
		w.c.touch() // the idle time counts from here
	}
	w.state = 2
}

// eofBody calls onEOF when the request body has been read to its end.
type eofBody struct {
	io.ReadCloser
	onEOF func()
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.onEOF()
	}
	return n, err
}
