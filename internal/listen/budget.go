package listen

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Reasons a connection is refused, the values of the metrics' reason label.
const (
	ReasonListenerCap = "listener_cap" // the listening socket holds Limits.PerListener connections
	ReasonClassCap    = "class_cap"    // the class's listeners together hold Limits.Total
	ReasonSourceCap   = "source_cap"   // the client's IP holds Limits.PerSource in the class
)

// Limits caps the connections open at once on one class of listeners (every
// static IP, every load balancer node, …). A zero field is no cap.
type Limits struct {
	Total       int // across every listener of the class
	PerListener int // on one listening socket, so one flooded address leaves room for the others
	PerSource   int // from one client IP across the class
	// Exempt sources are counted in Total and PerListener but not held to
	// PerSource: gatehouse's own hops (the accelerator's static IPs dialling a
	// load balancer node carry every client of the accelerator).
	Exempt []netip.Prefix
}

// logInterval is how often a listener logs refusals, and accept errors: one
// line per interval with the count since the last line, never a flood.
const logInterval = 10 * time.Second

// maxAcceptBackoff bounds the pause after a failed accept (out of file
// descriptors, …): failures never spin, and recovery is quick.
const maxAcceptBackoff = time.Second

// Budget counts the open connections of one class of listeners and refuses,
// at once, a connection beyond a cap: it is accepted and reset (SO_LINGER 0,
// so no FIN handshake and no TIME_WAIT), while the connections already open
// carry on. A connection's count is released when it is closed. The zero
// value is not usable; a nil *Budget caps nothing.
type Budget struct {
	class  string
	limits Limits
	log    *slog.Logger

	open     atomic.Int64 // across the class
	openG    prometheus.Gauge
	refusedC map[string]prometheus.Counter // by reason
	errorsC  prometheus.Counter

	mu       sync.Mutex
	bySource map[netip.Addr]int // only sources held to PerSource
}

// NewBudget returns the budget of one listener class ("static_ip", …), the
// class label of its metrics. m and log may be nil.
func NewBudget(class string, limits Limits, m *Metrics, log *slog.Logger) *Budget {
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Budget{
		class:    class,
		limits:   limits,
		log:      log,
		openG:    m.open.WithLabelValues(class),
		refusedC: map[string]prometheus.Counter{},
		errorsC:  m.acceptErrors.WithLabelValues(class),
		bySource: map[netip.Addr]int{},
	}
	for _, r := range []string{ReasonListenerCap, ReasonClassCap, ReasonSourceCap} {
		b.refusedC[r] = m.refused.WithLabelValues(class, r)
	}
	for scope, n := range map[string]int{"class": limits.Total, "listener": limits.PerListener, "source": limits.PerSource} {
		m.caps.WithLabelValues(class, scope).Set(float64(n))
	}
	return b
}

// Class is the budget's class label.
func (b *Budget) Class() string { return b.class }

// Limits are the caps the budget enforces.
func (b *Budget) Limits() Limits { return b.limits }

// Open is the number of connections open now across the class.
func (b *Budget) Open() int { return int(b.open.Load()) }

// Listener returns l with the budget's caps applied to every connection it
// accepts; a nil budget returns l as it is. Accept on the result also rides
// out accept errors (out of file descriptors, …) itself: it logs them at most
// once per interval, backs off, and returns only when l is closed, so the
// callers' own loops never spin or flood the log.
func (b *Budget) Listener(l net.Listener) net.Listener {
	if b == nil {
		return l
	}
	return &limitedListener{
		Listener:   l,
		b:          b,
		addr:       l.Addr().String(),
		done:       make(chan struct{}),
		refusedLog: rate.NewLimiter(rate.Every(logInterval), 1),
		errorLog:   rate.NewLimiter(rate.Every(logInterval), 1),
	}
}

// limitedListener is one listening socket under a Budget.
type limitedListener struct {
	net.Listener
	b    *Budget
	addr string
	open atomic.Int64 // on this socket

	done      chan struct{} // closed by Close: ends an accept backoff
	closeOnce sync.Once

	refusedLog, errorLog *rate.Limiter
	refused, errs        atomic.Int64 // since the last log line
}

func (l *limitedListener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			l.acceptFailed(err)
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		backoff = 0
		src := sourceOf(c)
		if reason := l.take(src); reason != "" {
			l.refusedOne(reason, src) // counted before the peer can see the reset
			refuse(c)
			continue
		}
		return &Conn{Conn: c, l: l, src: src}, nil
	}
}

// SyscallConn is the listening socket's, for socket options set after it
// opened (the accelerator's graceful stop attaches a socket filter).
func (l *limitedListener) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := l.Listener.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// take counts a new connection from src, or names the cap it would exceed.
func (l *limitedListener) take(src netip.Addr) (refused string) {
	lim := &l.b.limits
	if n := l.open.Add(1); lim.PerListener > 0 && n > int64(lim.PerListener) {
		l.open.Add(-1)
		return ReasonListenerCap
	}
	if n := l.b.open.Add(1); lim.Total > 0 && n > int64(lim.Total) {
		l.b.open.Add(-1)
		l.open.Add(-1)
		return ReasonClassCap
	}
	if l.b.heldPerSource(src) {
		l.b.mu.Lock()
		n := l.b.bySource[src]
		if n >= lim.PerSource {
			l.b.mu.Unlock()
			l.b.open.Add(-1)
			l.open.Add(-1)
			return ReasonSourceCap
		}
		l.b.bySource[src] = n + 1
		l.b.mu.Unlock()
	}
	l.b.openG.Inc()
	return ""
}

// release gives back what take counted for src.
func (l *limitedListener) release(src netip.Addr) {
	if l.b.heldPerSource(src) {
		l.b.mu.Lock()
		if n := l.b.bySource[src]; n <= 1 {
			delete(l.b.bySource, src) // the map holds only sources with something open
		} else {
			l.b.bySource[src] = n - 1
		}
		l.b.mu.Unlock()
	}
	l.b.open.Add(-1)
	l.open.Add(-1)
	l.b.openG.Dec()
}

// heldPerSource reports whether connections from src count against PerSource.
func (b *Budget) heldPerSource(src netip.Addr) bool {
	if b.limits.PerSource <= 0 {
		return false
	}
	for _, p := range b.limits.Exempt {
		if p.Contains(src) {
			return false
		}
	}
	return true
}

func (l *limitedListener) refusedOne(reason string, src netip.Addr) {
	l.b.refusedC[reason].Inc()
	n := l.refused.Add(1)
	if l.refusedLog.Allow() {
		l.refused.Add(-n)
		l.b.log.Warn("connections refused over the budget", "class", l.b.class, "addr", l.addr,
			"count", n, "last_reason", reason, "last_source", src,
			"cap_total", l.b.limits.Total, "cap_listener", l.b.limits.PerListener, "cap_source", l.b.limits.PerSource)
	}
}

func (l *limitedListener) acceptFailed(err error) {
	l.b.errorsC.Inc()
	n := l.errs.Add(1)
	if l.errorLog.Allow() {
		l.errs.Add(-n)
		l.b.log.Warn("accept failed", "class", l.b.class, "addr", l.addr, "count", n, "last_err", err)
	}
}

// refuse resets c: with SO_LINGER 0 the close sends RST, so the refused peer
// learns at once and neither side keeps a FIN_WAIT or TIME_WAIT socket.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// sourceOf is the client's IP, IPv4 unmapped, the key of the per-source count.
func sourceOf(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// Conn is a connection accepted by a Set: closing it releases its count in the
// Budget, if any, once however often it is closed, and its first writes are
// followed by quick ACKs (Opening, quickack.go).
type Conn struct {
	net.Conn
	l        *limitedListener // nil: no budget
	src      netip.Addr
	released atomic.Bool
	opening  Opening
}

// Close closes the connection and releases its count.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if c.l != nil && c.released.CompareAndSwap(false, true) {
		c.l.release(c.src)
	}
	return err
}

// CloseWrite shuts down the writing side, as *net.TCPConn's does: net/http
// uses it to let a client read an error response before the close (without
// it, the close may reset the connection and lose the response).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// TCPConn is the accepted *net.TCPConn, for code that needs the concrete type
// (io.Copy between two of them splices; TCP_INFO). Closing it does not
// release the count: whoever owns the Conn still closes the Conn.
func (c *Conn) TCPConn() (*net.TCPConn, bool) {
	tc, ok := c.Conn.(*net.TCPConn)
	return tc, ok
}

// TCPConn returns the *net.TCPConn under c: c itself, or the socket under a
// Conn accepted under a budget.
func TCPConn(c net.Conn) (*net.TCPConn, bool) {
	switch c := c.(type) {
	case *net.TCPConn:
		return c, true
	case *Conn:
		return c.TCPConn()
	}
	return nil, false
}

// LogValue shows the caps in a log line as total, per_listener and per_source
// (0: no cap) and the exempt sources.
func (l Limits) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Int("total", l.Total), slog.Int("per_listener", l.PerListener), slog.Int("per_source", l.PerSource)}
	if len(l.Exempt) > 0 {
		attrs = append(attrs, slog.Any("exempt", l.Exempt))
	}
	return slog.GroupValue(attrs...)
}
