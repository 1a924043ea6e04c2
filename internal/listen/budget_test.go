package listen_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"gatehouse/internal/listen"
)

// ioLimit bounds a read that must end (a greeting or a reset); never asserted.
const ioLimit = 10 * time.Second

// holdServe greets every accepted connection with "ok" and hands it to the
// test, which decides when it closes: the connections stay open meanwhile, as
// idle clients keep them.
func holdServe(held chan<- net.Conn) listen.Serve {
	return func(l net.Listener) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("ok"))
			held <- c
		}
	}
}

// budgetServer is a Set of n loopback listeners under one budget.
type budgetServer struct {
	budget *listen.Budget
	reg    *prometheus.Registry
	addrs  []string
	held   chan net.Conn
}

func newBudgetServer(t *testing.T, limits listen.Limits, listeners int) *budgetServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	s := &budgetServer{reg: reg, held: make(chan net.Conn, 100)}
	s.budget = listen.NewBudget("test", limits, listen.NewMetrics(reg), nil)
	for range listeners {
		l, err := net.Listen("tcp", "127.0.26.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.addrs = append(s.addrs, l.Addr().String())
		l.Close()
	}
	set := listen.NewLimitedSet(s.budget, holdServe(s.held))
	if failed := set.Reconcile(context.Background(), s.addrs); failed != nil {
		t.Fatal(failed.Err())
	}
	t.Cleanup(func() {
		set.Close()
		close(s.held)
		for c := range s.held {
			c.Close()
		}
	})
	return s
}

// dial connects from src to the server's listener i and reports whether the
// server accepted (greeted) the connection; a refused one is reset at once.
func (s *budgetServer) dial(t *testing.T, i int, src string) (accepted bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: ioLimit}
	c, err := d.Dial("tcp", s.addrs[i])
	if errors.Is(err, syscall.ECONNRESET) {
		return false // reset before connect returned: refused
	}
	if err != nil {
		t.Fatalf("dial %s from %s: %v", s.addrs[i], src, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(ioLimit))
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("dial %s from %s: neither greeted nor reset", s.addrs[i], src)
		}
		return false // reset (or closed) before any byte: refused
	}
	return string(buf) == "ok"
}

// value reads one sample of a metric family from the registry; 0 if absent.
func (s *budgetServer) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for _, lp := range m.GetLabel() {
		if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
			return false
		}
	}
	return true
}

func TestBudgetCaps(t *testing.T) {
	type dial struct {
		listener int
		src      string
		accepted bool
	}
	const a, b, c = "127.0.26.11", "127.0.26.12", "127.0.26.13"
	tests := []struct {
		name      string
		limits    listen.Limits
		listeners int
		dials     []dial
		refused   map[string]float64 // by reason
	}{
		{
			name:      "listener cap refuses beyond it on that socket only",
			limits:    listen.Limits{PerListener: 2},
			listeners: 2,
			dials: []dial{{0, a, true}, {0, b, true}, {0, c, false}, {0, a, false},
				{1, a, true}, {1, b, true}},
			refused: map[string]float64{listen.ReasonListenerCap: 2},
		},
		{
			name:      "class cap spans the class's sockets",
			limits:    listen.Limits{Total: 3},
			listeners: 2,
			dials:     []dial{{0, a, true}, {1, b, true}, {0, c, true}, {1, a, false}, {0, b, false}},
			refused:   map[string]float64{listen.ReasonClassCap: 2},
		},
		{
			name:      "source cap holds one client IP across the class",
			limits:    listen.Limits{PerSource: 2},
			listeners: 2,
			dials: []dial{{0, a, true}, {1, a, true}, {0, a, false}, {1, a, false},
				{0, b, true}, {0, b, true}, {1, b, false}, {1, c, true}},
			refused: map[string]float64{listen.ReasonSourceCap: 3},
		},
		{
			name:      "exempt sources are held to the listener cap only",
			limits:    listen.Limits{PerListener: 4, PerSource: 1, Exempt: []netip.Prefix{netip.MustParsePrefix(a + "/32")}},
			listeners: 1,
			dials:     []dial{{0, a, true}, {0, a, true}, {0, b, true}, {0, b, false}, {0, a, true}, {0, a, false}},
			refused:   map[string]float64{listen.ReasonSourceCap: 1, listen.ReasonListenerCap: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newBudgetServer(t, tt.limits, tt.listeners)
			open := 0
			for i, d := range tt.dials {
				if got := s.dial(t, d.listener, d.src); got != d.accepted {
					t.Fatalf("dial %d (listener %d from %s): accepted %v, want %v", i, d.listener, d.src, got, d.accepted)
				}
				if d.accepted {
					open++
				}
			}
			if got := s.budget.Open(); got != open {
				t.Errorf("open connections: got %d, want %d", got, open)
			}
			if got := s.value(t, "gatehouse_listen_open_connections", map[string]string{"class": "test"}); got != float64(open) {
				t.Errorf("gatehouse_listen_open_connections: got %v, want %d", got, open)
			}
			for _, reason := range []string{listen.ReasonListenerCap, listen.ReasonClassCap, listen.ReasonSourceCap} {
				got := s.value(t, "gatehouse_listen_refused_total", map[string]string{"class": "test", "reason": reason})
				if got != tt.refused[reason] {
					t.Errorf("gatehouse_listen_refused_total{reason=%q}: got %v, want %v", reason, got, tt.refused[reason])
				}
			}
		})
	}
}

// Closing an accepted connection gives its place back, once: a second Close
// must not free a place that another connection holds.
func TestBudgetReleasesOnCloseOnce(t *testing.T) {
	const src = "127.0.26.21"
	s := newBudgetServer(t, listen.Limits{PerListener: 2, PerSource: 2}, 1)
	for i := range 2 {
		if !s.dial(t, 0, src) {
			t.Fatalf("connection %d of 2 refused, want accepted", i+1)
		}
	}
	if s.dial(t, 0, src) {
		t.Fatal("a third connection was accepted over a cap of 2")
	}
	first := <-s.held
	for i := range 3 {
		first.Close() // the first releases, the others must not
		if got := s.budget.Open(); got != 1 {
			t.Fatalf("open after close #%d: got %d, want 1", i+1, got)
		}
	}
	if !s.dial(t, 0, src) {
		t.Fatal("a connection after one was closed was refused, want accepted")
	}
	if s.dial(t, 0, src) {
		t.Fatal("a connection was accepted over the cap after repeated closes of one connection")
	}
	if got := s.budget.Open(); got != 2 {
		t.Fatalf("open: got %d, want 2", got)
	}
}

// The accelerator splices between *net.TCPConn: the socket under a budgeted
// connection must stay reachable, and closing the Conn must close it.
func TestBudgetConnKeepsTCPConn(t *testing.T) {
	s := newBudgetServer(t, listen.Limits{PerListener: 1}, 1)
	if !s.dial(t, 0, "127.0.26.31") {
		t.Fatal("connection refused under the cap")
	}
	c := <-s.held
	tc, ok := listen.TCPConn(c)
	if !ok {
		t.Fatalf("listen.TCPConn(%T): got no *net.TCPConn", c)
	}
	if _, err := tc.SyscallConn(); err != nil {
		t.Fatalf("SyscallConn on the inner socket: %v", err)
	}
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("%T has no CloseWrite, want the half-close net/http relies on", c)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	c.Close()
	if _, err := tc.Write([]byte("x")); err == nil {
		t.Fatal("write on the inner socket after Conn.Close: got no error, want closed")
	}
	if got := s.budget.Open(); got != 0 {
		t.Fatalf("open after close: got %d, want 0", got)
	}
}

// A nil budget caps nothing and wraps nothing.
func TestNilBudget(t *testing.T) {
	var b *listen.Budget
	l, err := net.Listen("tcp", "127.0.26.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := b.Listener(l); got != l {
		t.Fatalf("nil budget's listener: got %T, want the listener itself", got)
	}
}

// failingListener fails its first accepts as a process out of descriptors
// does, then hands out conn; after that it blocks until closed.
type failingListener struct {
	fails  int
	conn   net.Conn
	closed chan struct{}
}

func (f *failingListener) Accept() (net.Conn, error) {
	if f.fails > 0 {
		f.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	if c := f.conn; c != nil {
		f.conn = nil
		return c, nil
	}
	<-f.closed
	return nil, net.ErrClosed
}

func (f *failingListener) Close() error   { close(f.closed); return nil }
func (f *failingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 26, 1), Port: 1} }

// Accept errors (out of descriptors) are ridden out under a budget: counted,
// backed off, never handed to the service's accept loop, which would spin or
// log each one.
func TestBudgetRidesOutAcceptErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := listen.NewBudget("test", listen.Limits{PerListener: 1}, listen.NewMetrics(reg), nil)
	server, client := net.Pipe()
	defer client.Close()
	l := b.Listener(&failingListener{fails: 3, conn: server, closed: make(chan struct{})})
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after 3 failures: got %v, want the connection", err)
	}
	c.Close()
	s := &budgetServer{reg: reg}
	if got := s.value(t, "gatehouse_listen_accept_errors_total", map[string]string{"class": "test"}); got != 3 {
		t.Errorf("gatehouse_listen_accept_errors_total: got %v, want 3", got)
	}
	l.Close()
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: got %v, want net.ErrClosed", err)
	}
}

// Close ends an Accept that is backing off after a failure.
func TestBudgetCloseEndsBackoff(t *testing.T) {
	b := listen.NewBudget("test", listen.Limits{}, nil, nil)
	l := b.Listener(&failingListener{fails: 1 << 30, closed: make(chan struct{})})
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: got %v, want net.ErrClosed", err)
		}
	case <-time.After(ioLimit):
		t.Fatal("Accept still backing off after Close")
	}
}
