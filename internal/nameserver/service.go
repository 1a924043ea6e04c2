package nameserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Limits on what a peer can hold.
const (
	udpBufferSize   = 4096             // largest query we read over UDP, and our advertised EDNS size
	udpSocketBuffer = 1 << 20          // the UDP socket's receive buffer asked for (setReceiveBuffer)
	tcpReadTimeout  = 5 * time.Second  // first query on a TCP connection
	tcpIdleTimeout  = 10 * time.Second // between queries on one TCP connection (RFC 7766 suggests seconds)
	writeTimeout    = 5 * time.Second
	maxTCPConns     = 512 // concurrent TCP connections without Deps.Budget; more are reset at once
	maxTCPPerSource = 64  // of those, from one client IP
	maxTCPQueries   = 256 // queries per TCP connection before we close it
	bindAttempts    = 8   // for ":0" ports: TCP may find the UDP port taken
	insyncWait      = 2 * time.Second
	maxChangeInfos  = 1024 // GetChange remembers this many recent changes
	shutdownTimeout = 5 * time.Second
)

// Deps is what the nameserver needs.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger
	Env     model.Env
	Metrics prometheus.Registerer // optional
	// Listen is the address served over both UDP and TCP, e.g. "127.0.0.1:1053".
	// Port 0 picks a free port that is free for both.
	Listen string
	// Budget caps the TCP connections open at once, in all and per client IP;
	// a connection over a cap is reset at once (nil: maxTCPConns in all,
	// maxTCPPerSource per client IP). Each idle connection holds a goroutine
	// and a file descriptor until its read timeout.
	Budget *listen.Budget
	// TCPReadTimeout is how long a TCP connection may wait before its first
	// query and TCPIdleTimeout how long between two queries; a client quiet for
	// longer is dropped (0: tcpReadTimeout and tcpIdleTimeout).
	TCPReadTimeout time.Duration
	TCPIdleTimeout time.Duration
	// Leader reports whether this node leads the cluster (nil: always), as
	// every service's Deps has it. The nameserver has no status writer to
	// gate: a change's PENDING → INSYNC (GetChange) is kept in this node's
	// memory and says whether this node's DNS server answers it, so it is
	// per node by nature and never written to the store.
	Leader func() bool
}

// Service is the Route 53 operations and the authoritative DNS server.
type Service struct {
	d   Deps
	log *slog.Logger
	m   *metrics
	tab live.Table[table]
	// compiler builds tab from each snapshot, keeping unchanged zones
	// (compile.go); Run's first compile, then follow's, one at a time.
	compiler compiler

	ready     chan struct{}
	readyOnce sync.Once
	addr      atomic.Pointer[string]

	// swapped is closed and replaced whenever a new table is in force, so a change
	// can wait until it answers (ChangeInfo INSYNC) without polling.
	swapMu  sync.Mutex
	swapped chan struct{}
	running atomic.Bool

	changeMu sync.Mutex
	changes  map[string]changeRecord
	order    []string

	// noFastPath leaves every UDP query to miekg/dns (tests compare the two).
	noFastPath bool
}

// New returns a Service; Run starts serving DNS. Operations work without Run.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.TCPReadTimeout <= 0 {
		d.TCPReadTimeout = tcpReadTimeout
	}
	if d.TCPIdleTimeout <= 0 {
		d.TCPIdleTimeout = tcpIdleTimeout
	}
	return &Service{
		d:       d,
		log:     d.Log,
		m:       newMetrics(d.Metrics, d.Log),
		ready:   make(chan struct{}),
		swapped: make(chan struct{}),
		changes: map[string]changeRecord{},
	}
}

// Ready is closed once the server listens on both UDP and TCP.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address ("127.0.10.1:40123") once Run has bound, else "".
func (s *Service) Addr() string {
	if p := s.addr.Load(); p != nil {
		return *p
	}
	return ""
}

// Run serves DNS on Deps.Listen until ctx ends, then closes its sockets and waits
// for its goroutines. It returns an error only if it cannot start.
func (s *Service) Run(ctx context.Context) error {
	if s.d.Feed == nil {
		return errors.New("nameserver: no snapshot feed")
	}
	// Compile before listening so the first query already has a table.
	snap, _ := s.d.Feed.Current()
	if err := s.tab.Compile(snap, s.compiler.compile); err != nil {
		s.m.rejected.Inc()
		s.log.Error("dns table rejected", "err", err)
	} else {
		s.tab.MarkServed(snap.Rev)
	}

	pc, ln, err := bind(s.d.Listen)
	if err != nil {
		return err
	}
	addr := pc.LocalAddr().String()
	s.addr.Store(&addr)

	// The fast path reads the UDP socket and hands miekg/dns what it declines.
	slowPC := pc
	fast := s.newUDPFast(pc)
	if fast != nil {
		if err := fast.start(); err != nil {
			pc.Close()
			ln.Close()
			return err
		}
		slowPC = fast.slow
	}

	handler := dns.HandlerFunc(s.ServeDNS)
	servers := []*dns.Server{
		{PacketConn: slowPC, Handler: handler, UDPSize: udpBufferSize,
			ReadTimeout: tcpReadTimeout, WriteTimeout: writeTimeout},
		// Capped: each slow or idle peer holds a goroutine and a buffer until
		// its timeout. Over the cap a connection is reset at once rather than
		// left waiting in the accept queue, where it would hold up the
		// queries behind it.
		{Listener: s.tcpBudget().Listener(ln), Handler: handler,
			ReadTimeout: s.d.TCPReadTimeout, WriteTimeout: writeTimeout, MaxTCPQueries: maxTCPQueries,
			IdleTimeout: func() time.Duration { return s.d.TCPIdleTimeout }},
	}

	fctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	var wg sync.WaitGroup
	wg.Go(func() { s.follow(fctx) })

	started := make([]chan struct{}, len(servers))
	done := make([]chan struct{}, len(servers))
	for i, srv := range servers {
		started[i], done[i] = make(chan struct{}), make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started[i]) }
		wg.Go(func() {
			defer close(done[i])
			if err := srv.ActivateAndServe(); err != nil && ctx.Err() == nil {
				s.log.Error("dns server stopped", "addr", addr, "err", err)
			}
		})
	}
	for i := range servers {
		select {
		case <-started[i]:
		case <-done[i]:
		}
	}
	s.running.Store(true)
	s.readyOnce.Do(func() { close(s.ready) })
	s.log.Info("dns listening", "addr", addr)

	<-ctx.Done()
	s.running.Store(false)
	if fast != nil {
		fast.stop() // closes the socket the slow path writes to as well
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for i, srv := range servers {
		select {
		case <-done[i]: // already stopped; its socket is closed
		default:
			if err := srv.ShutdownContext(sctx); err != nil {
				s.log.Warn("dns shutdown", "err", err)
			}
		}
	}
	stopFollow()
	wg.Wait()
	return nil
}

// tcpBudget is Deps.Budget, or the nameserver's own caps without one.
func (s *Service) tcpBudget() *listen.Budget {
	if s.d.Budget != nil {
		return s.d.Budget
	}
	return listen.NewBudget("dns_tcp", listen.Limits{Total: maxTCPConns, PerListener: maxTCPConns, PerSource: maxTCPPerSource}, nil, s.log)
}

// follow compiles every new snapshot into the table and wakes change waiters.
func (s *Service) follow(ctx context.Context) {
	live.Follow(ctx, s.d.Feed, func(snap *model.Snapshot) {
		if snap.Rev == s.tab.Rev() && s.tab.Load() != nil {
			return
		}
		if err := s.tab.Compile(snap, s.compiler.compile); err != nil {
			s.m.rejected.Inc()
			s.log.Error("dns table rejected", "err", err)
			return
		}
		s.tab.MarkServed(snap.Rev)
		if t := s.tab.Load(); len(t.problems) > 0 {
			s.log.Warn("dns records skipped", "rev", snap.Rev, "count", len(t.problems), "first", t.problems[0])
		}
		s.swapMu.Lock()
		close(s.swapped)
		s.swapped = make(chan struct{})
		s.swapMu.Unlock()
	})
}

// waitServed waits (briefly) until the table in force reflects rev. It reports
// false if the server is not running or the wait timed out.
func (s *Service) waitServed(ctx context.Context, rev int64) bool {
	if !s.running.Load() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, insyncWait)
	defer cancel()
	for {
		s.swapMu.Lock()
		ch := s.swapped
		s.swapMu.Unlock()
		if s.tab.Rev() >= rev {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// bind opens UDP then TCP on the same address. With port 0 the kernel picks the
// UDP port, which TCP may find taken: then both are retried on a new port.
func bind(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns listen %s: %w", addr, err)
	}
	for attempt := 1; ; attempt++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns listen %s: %w", addr, opErr(err))
		}
		// The default buffer (net.core.rmem_default, 208 KiB) holds ~200 small
		// queries: a burst larger than that, arriving while the readers answer
		// the one before, was dropped (bench/dns.sh's 200 in flight lost some).
		// NSD asks for the same 1 MiB.
		setReceiveBuffer(pc.(*net.UDPConn), udpSocketBuffer)
		bound := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(bound)))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" || !errors.Is(err, syscall.EADDRINUSE) || attempt == bindAttempts {
			return nil, nil, fmt.Errorf("dns listen %s: %w", addr, opErr(err))
		}
	}
}

// opErr drops net.OpError's "listen udp <addr>" prefix: the caller names the address.
func opErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// Served is the newest snapshot revision the nameserver answers from.
func (s *Service) Served() int64 { return s.tab.Served() }
