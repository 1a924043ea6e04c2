package accelerator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
)

// errNoEndpoint means the listener has no endpoint with weight > 0 to send to.
var errNoEndpoint = errors.New("no endpoint with weight above 0")

// accept accepts connections on one static IP:port until the listener closes.
// listen.Set owns the goroutine that runs it.
func (s *Service) accept(ctx context.Context, l net.Listener) {
	s.addSocket(l)
	defer s.removeSocket(l)
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off instead of spinning,
			// as net/http does. Closing the listener ends the loop.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept", "addr", l.Addr(), "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		// Under a budget c is a listen.Conn: the flow uses the socket under it
		// (pipe reads it raw and half-closes it) and closing c afterwards
		// gives the connection's place in the budget back.
		tc, ok := listen.TCPConn(c)
		if !ok {
			c.Close()
			continue
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			defer c.Close()
			s.handle(ctx, tc)
		}()
	}
}

// handle proxies one client connection:
//
//  1. load the table once; the listener's route for the local static IP:port;
//  2. plan the endpoints (route.plan): health, weights, traffic dials, affinity;
//  3. dial a node of the first endpoint that answers, from the static IP;
//  4. with client IP preservation, write a PROXY v2 header with the client's address;
//  5. track the flow (cut when a table no longer carries its route);
//  6. copy both ways until both sides finish (pipe).
func (s *Service) handle(ctx context.Context, client *net.TCPConn) {
	local := addrPortOf(client.LocalAddr())
	remote := addrPortOf(client.RemoteAddr())
	r := s.table.Load().route(local)
	if r == nil {
		// The listener is being removed: this table no longer has the address.
		s.metrics.conns.WithLabelValues("no_route").Inc()
		client.Close()
		return
	}
	seed := r.seedFor(remote.Addr())
	handed := false
	up, ep, err := s.dial(ctx, local, r.plan(seed), seed, func(ep *endpoint, take handoff.ConnHandler) bool {
		handed = s.handOff(client, local, remote, r, ep, take)
		return handed
	})
	if handed {
		return
	}
	if err != nil {
		s.metrics.conns.WithLabelValues("no_endpoint").Inc()
		s.log.Debug("no endpoint reachable", "listener", r.listener, "client", remote, "err", err)
		client.Close()
		return
	}
	if ep.preserve {
		if err := writeProxyHeader(up, client); err != nil {
			s.metrics.conns.WithLabelValues("header_failed").Inc()
			s.log.Debug("write PROXY header", "endpoint", ep.id, "err", err)
			client.Close()
			up.Close()
			return
		}
	}
	f := &flow{client: client, up: up, local: local, listener: r.listener, group: ep.group, endpoint: ep.id}
	if refused := s.track(f); refused != "" {
		s.metrics.conns.WithLabelValues(refused).Inc()
		client.Close()
		up.Close()
		return
	}
	defer s.untrack(f)
	s.metrics.conns.WithLabelValues("proxied").Inc()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()
	in, out, end := pipe(client, up, s.d.FinTimeout)
	if end == endFinTimeout {
		s.metrics.closed.WithLabelValues("fin_timeout").Inc()
	}
	s.metrics.bytes.WithLabelValues("in").Add(float64(in))
	s.metrics.bytes.WithLabelValues("out").Add(float64(out))
}

// dial connects to the first reachable node of the planned endpoints, on the
// port the client connected to, from the static IP that accepted the client:
// that address is what the load balancer sees when client IP preservation is
// off. A refused node moves on to the endpoint's next node, then to the next
// endpoint of the plan. A node this process serves (an entry in
// Deps.Handoff) is not dialed: handOff gets the client connection, and when
// it takes it dial returns no connection and no error.
func (s *Service) dial(ctx context.Context, local netip.AddrPort, plan []*endpoint, seed uint64, handOff func(*endpoint, handoff.ConnHandler) bool) (*net.TCPConn, *endpoint, error) {
	d := net.Dialer{
		Timeout:   s.d.DialTimeout,
		LocalAddr: &net.TCPAddr{IP: local.Addr().AsSlice()},
		// The static IP's listeners may rebind a port this connection used
		// (an accelerator disabled and enabled again).
		Control: listen.DialControl,
	}
	var errs []error
	for _, ep := range plan {
		n := len(ep.nodes)
		for i := range n {
			node := ep.nodes[(int(seed%uint64(n))+i)%n]
			if take, ok := s.d.Handoff.Conn(netip.AddrPortFrom(node, local.Port())); ok {
				if handOff(ep, take) {
					return nil, ep, nil
				}
				errs = append(errs, fmt.Errorf("hand off to endpoint %s node %s: %w", ep.id, node, handoff.ErrUnavailable))
				continue
			}
			start := time.Now()
			c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(node, local.Port()).String())
			s.metrics.dial.Observe(time.Since(start).Seconds())
			if err == nil {
				return c.(*net.TCPConn), ep, nil
			}
			s.metrics.dialFailures.Inc()
			errs = append(errs, fmt.Errorf("dial endpoint %s node %s: %w", ep.id, node, err))
			if ctx.Err() != nil {
				return nil, nil, errors.Join(errs...)
			}
		}
	}
	if len(errs) == 0 {
		return nil, nil, errNoEndpoint
	}
	return nil, nil, errors.Join(errs...)
}

func writeProxyHeader(up, client *net.TCPConn) error {
	h := proxyproto.HeaderProxyFromAddrs(2, client.RemoteAddr(), client.LocalAddr())
	up.SetWriteDeadline(time.Now().Add(headerWriteTimeout))
	if _, err := h.WriteTo(up); err != nil {
		return err
	}
	return up.SetWriteDeadline(time.Time{})
}

// bufSize is the copy buffer of a flow direction. A buffer is held only while
// bytes move, never while a direction waits, so idle flows cost none.
const bufSize = 64 << 10

var bufs = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() *[]byte  { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) { bufs.Put(b) }

// flowEnd says how a flow's copy ended.
type flowEnd int

const (
	endClosed     flowEnd = iota // both directions finished, or closed from outside
	endFinTimeout                // one direction ended and the other stayed silent for FinTimeout
)

// pipe copies bytes both ways between the client and the endpoint until both
// directions end, then closes both sockets. Each direction waits for its
// source to be readable without holding a buffer or a splice pipe (flowReader)
// and then copies what is queued through a pooled buffer: an idle flow costs
// its two sockets only. (Go's splice path parks two pipes per flow in a
// sync.Pool that only a garbage collection empties.)
//
// A direction that ends cleanly (FIN) half-closes the other side's write half
// (CloseWrite) so the peer sees the FIN, and gives the other direction
// finTimeout: it must move a byte at least that often or the flow is closed.
// If the endpoint ends before the client sent a single byte, nothing can ever
// come back (the balancer gave up on a silent client): the client is closed at
// once. An error in either direction tears both down. Idle flows are closed
// from outside by sweepIdle, which reads the kernel's byte counters.
func pipe(client, up *net.TCPConn, finTimeout time.Duration) (in, out int64, end flowEnd) {
	fromClient, err1 := newFlowReader(client)
	fromUp, err2 := newFlowReader(up)
	if err1 != nil || err2 != nil {
		client.Close()
		up.Close()
		return 0, 0, endClosed
	}
	var (
		inBytes    atomic.Int64 // client → endpoint, counted before the write
		halfClosed atomic.Bool  // one direction has ended with a FIN
		timedOut   atomic.Bool
	)
	closeBoth := func() {
		client.Close()
		up.Close()
	}
	// finished ends one direction: src → dst has returned err.
	finished := func(dst, src *net.TCPConn, err error, clientSilent func() bool) {
		switch {
		case errors.Is(err, io.EOF) && !clientSilent():
			dst.CloseWrite()
			halfClosed.Store(true)
			// The other direction reads dst and writes src from now on.
			deadline := time.Now().Add(finTimeout)
			dst.SetReadDeadline(deadline)
			src.SetWriteDeadline(deadline)
		case errors.Is(err, os.ErrDeadlineExceeded):
			timedOut.Store(true)
			closeBoth()
		default:
			closeBoth()
		}
	}
	never := func() bool { return false }
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		in, err = copyHalf(up, client, fromClient, &inBytes, &halfClosed, finTimeout)
		finished(up, client, err, never)
	})
	var err error
	out, err = copyHalf(client, up, fromUp, nil, &halfClosed, finTimeout)
	finished(client, up, err, func() bool { return inBytes.Load() == 0 })
	wg.Wait()
	closeBoth()
	if timedOut.Load() {
		return in, out, endFinTimeout
	}
	return in, out, endClosed
}

// copyHalf copies src to dst until src ends or either fails, and returns the
// bytes moved and why it stopped (io.EOF at src's FIN). Once the flow is half
// closed each batch pushes the deadlines on, so the FIN timeout counts from
// the last byte moved, not from the FIN.
func copyHalf(dst, src *net.TCPConn, from *flowReader, moved *atomic.Int64, halfClosed *atomic.Bool, finTimeout time.Duration) (int64, error) {
	var total int64
	var opening listen.Opening
	for {
		buf, n, err := from.next()
		if n > 0 {
			if moved != nil {
				moved.Add(int64(n))
				opening.AfterRead(src) // the client's: ACK its first bytes now, not 40 ms later (listen.Opening)
			}
			if halfClosed.Load() {
				deadline := time.Now().Add(finTimeout)
				src.SetReadDeadline(deadline)
				dst.SetWriteDeadline(deadline)
			}
			w, werr := dst.Write((*buf)[:n])
			putBuf(buf)
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if err != nil {
			return total, err
		}
	}
}

// flow is an established client ↔ endpoint connection pair, with what it was
// routed by, so that a table that no longer carries its route cuts it.
type flow struct {
	client, up *net.TCPConn
	local      netip.AddrPort // the static IP:port the client connected to
	listener   string         // listener ARN
	group      string         // endpoint group ARN
	endpoint   string         // endpoint ID (load balancer ARN)

	received uint64    // TCP bytes received on both sockets at the last sweep
	active   time.Time // when the sweep last saw bytes move
	ending   bool      // closed from outside (cut, idle, shutdown); guarded by Service.mu
}

func (f *flow) close() {
	f.client.Close()
	if f.up != nil { // nil: handed off in process, the client socket is all there is
		f.up.Close()
	}
}

// end marks f as closed from outside and reports whether it was not already,
// so that a flow is counted once although its handler untracks it later.
func (s *Service) end(f *flow) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ending {
		return false
	}
	f.ending = true
	return true
}

// track registers f, or says why not (the caller closes f): "shutdown" once
// Run is shutting down, "route_changed" if the table in force no longer
// carries f's route. Checking under s.mu closes the race with cutFlows: the
// table is swapped before cutFlows runs, so a flow tracked after the cut sees
// the new table and one tracked before is cut.
func (s *Service) track(f *flow) (refused string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "shutdown"
	}
	if s.table.Load().lost(f) != "" {
		return "route_changed"
	}
	f.active = time.Now()
	s.flows[f] = struct{}{}
	return ""
}

func (s *Service) untrack(f *flow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.flows, f)
}

// cutFlows closes every flow whose listener or endpoint t no longer carries:
// the accelerator was disabled or deleted, the listener deleted or its ports
// changed, the endpoint removed from its group or the group deleted. Health,
// weight and traffic dial changes keep established flows, as Global
// Accelerator does. It logs one line per call with the counts by reason.
func (s *Service) cutFlows(t *table) {
	type cut struct {
		f   *flow
		why string
	}
	var cuts []cut
	s.mu.Lock()
	for f := range s.flows {
		if why := t.lost(f); why != "" && !f.ending {
			f.ending = true
			cuts = append(cuts, cut{f, why})
		}
	}
	s.mu.Unlock()
	if len(cuts) == 0 {
		return
	}
	byReason := map[string]int{}
	for _, c := range cuts {
		c.f.close() // the handler's pipe returns and untracks it
		byReason[c.why]++
	}
	s.metrics.closed.WithLabelValues("config").Add(float64(len(cuts)))
	s.log.Info("flows cut by a configuration change", "rev", t.rev, "flows", len(cuts),
		"listener_gone", byReason[lostListener], "endpoint_gone", byReason[lostEndpoint])
}

// closeFlows closes every established flow and refuses new ones.
func (s *Service) closeFlows() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for f := range s.flows {
		f.ending = true
		f.close()
	}
}

// sweepIdle closes flows that moved no byte for IdleTimeout. It reads the
// kernel's per-socket byte counters (TCP_INFO) instead of counting in the copy
// loop, so the copy stays a splice; a flow's activity is seen with the
// resolution of the sweep interval (a tenth of the timeout, at most 10s).
func (s *Service) sweepIdle(ctx context.Context) {
	every := min(s.d.IdleTimeout/10, 10*time.Second)
	tick := time.NewTicker(max(every, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.sweep(now)
		}
	}
}

func (s *Service) sweep(now time.Time) {
	// Read the counters without the lock: the syscalls should not hold up
	// connections that start or end meanwhile. Only this goroutine touches
	// received and active after track.
	s.mu.Lock()
	flows := make([]*flow, 0, len(s.flows))
	for f := range s.flows {
		flows = append(flows, f)
	}
	s.mu.Unlock()
	for _, f := range flows {
		// The client socket's received bytes, and what the endpoint's socket
		// received; handed off, there is none: what was sent to the client
		// and acknowledged is what it would have received.
		a, b, ok := tcpCounters(f.client)
		if ok && f.up != nil {
			b, _, ok = tcpCounters(f.up)
		}
		if !ok {
			continue // no counters on this platform, or closing already
		}
		if sum := a + b; sum != f.received {
			f.received, f.active = sum, now
			continue
		}
		if now.Sub(f.active) >= s.d.IdleTimeout && s.end(f) {
			s.metrics.closed.WithLabelValues("idle").Inc()
			f.close() // the handler's pipe returns and untracks it
		}
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
