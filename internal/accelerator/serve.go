package accelerator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"gatehouse/internal/listen"
)

// errNoEndpoint means the listener has no endpoint with weight > 0 to send to.
var errNoEndpoint = errors.New("no endpoint with weight above 0")

// accept accepts connections on one static IP:port until the listener closes.
// listen.Set owns the goroutine that runs it.
func (s *Service) accept(ctx context.Context, l net.Listener) {
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
		tc, ok := c.(*net.TCPConn)
		if !ok {
			c.Close()
			continue
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
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
//  5. copy both ways until both sides finish (pipe).
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
	up, ep, err := s.dial(ctx, local, r.plan(seed), seed)
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
	f := &flow{client: client, up: up}
	if !s.track(f) {
		client.Close()
		up.Close()
		return
	}
	defer s.untrack(f)
	s.metrics.conns.WithLabelValues("proxied").Inc()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()
	in, out := pipe(client, up)
	s.metrics.bytes.WithLabelValues("in").Add(float64(in))
	s.metrics.bytes.WithLabelValues("out").Add(float64(out))
}

// dial connects to the first reachable node of the planned endpoints, on the
// port the client connected to, from the static IP that accepted the client:
// that address is what the load balancer sees when client IP preservation is
// off. A refused node moves on to the endpoint's next node, then to the next
// endpoint of the plan.
func (s *Service) dial(ctx context.Context, local netip.AddrPort, plan []*endpoint, seed uint64) (*net.TCPConn, *endpoint, error) {
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

// pipe copies bytes both ways between two TCP connections until both
// directions end, then closes both. io.Copy between two *net.TCPConn uses
// splice(2) on Linux, so bytes never enter user space. A direction that ends
// cleanly (EOF) half-closes the other side (CloseWrite) so the peer sees the
// FIN and the other direction carries on; an error tears both down. Idle flows
// are closed from outside by sweepIdle, which leaves the sockets' deadlines
// alone so nothing here defeats splice.
func pipe(client, up *net.TCPConn) (in, out int64) {
	var wg sync.WaitGroup
	wg.Go(func() {
		in = copyHalf(up, client)
	})
	out = copyHalf(client, up)
	wg.Wait()
	client.Close()
	up.Close()
	return in, out
}

func copyHalf(dst, src *net.TCPConn) int64 {
	n, err := io.Copy(dst, src)
	if err != nil {
		dst.Close()
		src.Close()
		return n
	}
	dst.CloseWrite()
	return n
}

// flow is an established client ↔ endpoint connection pair.
type flow struct {
	client, up *net.TCPConn
	received   uint64    // TCP bytes received on both sockets at the last sweep
	active     time.Time // when the sweep last saw bytes move
}

func (f *flow) close() {
	f.client.Close()
	f.up.Close()
}

// track registers f; false once Run is shutting down (the caller closes f).
func (s *Service) track(f *flow) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	f.active = time.Now()
	s.flows[f] = struct{}{}
	return true
}

func (s *Service) untrack(f *flow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.flows, f)
}

// closeFlows closes every established flow and refuses new ones.
func (s *Service) closeFlows() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for f := range s.flows {
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
		a, okA := bytesReceived(f.client)
		b, okB := bytesReceived(f.up)
		if !okA || !okB {
			continue // no counters on this platform, or closing already
		}
		if sum := a + b; sum != f.received {
			f.received, f.active = sum, now
			continue
		}
		if now.Sub(f.active) >= s.d.IdleTimeout {
			s.metrics.idleClosed.Inc()
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
