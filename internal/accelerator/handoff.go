package accelerator

import (
	"net"
	"net/netip"
	"sync"

	"gatehouse/internal/handoff"
)

// handOff gives the client connection to a load balancer node this process
// serves (its entry in Deps.Handoff) instead of dialing the node: no second
// socket, no PROXY header, no copy loop. The client's address travels as
// metadata where client IP preservation would write it in a PROXY header;
// without preservation the node sees the static IP, as it would see the
// dial's source.
//
// The flow is the accelerator's as much as a dialed one: it is tracked
// before it is handed over (so a table swap or a stop that would refuse a
// dialed flow refuses it), counted in the same metrics, and closed from
// outside the same way: cutFlows (the endpoint left its group), closeFlows
// (stop) and the idle sweep close the client socket, which ends the node's
// connection on it as closing both sockets of a dialed flow does. handOff
// returns once the node has closed the connection, so the handler's place in
// Run's wait group and in the static IP's budget lasts as long as the flow.
//
// It reports false, having changed nothing, when the node's listener would
// not take the connection (it is closing): dial moves on to the next node, as
// from a refused connection. It reports true when the flow is over or was
// refused and closed.
func (s *Service) handOff(client *net.TCPConn, local, remote netip.AddrPort, r *route, ep *endpoint, take handoff.ConnHandler) bool {
	f := &flow{client: client, local: local, listener: r.listener, group: ep.group, endpoint: ep.id}
	if refused := s.track(f); refused != "" {
		s.metrics.conns.WithLabelValues(refused).Inc()
		client.Close()
		return true
	}
	source := remote
	if !ep.preserve {
		// The dialed flow's source would be the static IP and an ephemeral
		// port; there is no port without a socket.
		source = netip.AddrPortFrom(local.Addr(), 0)
	}
	hc := &handedConn{TCPConn: client, done: make(chan struct{})}
	if !take(hc, source) {
		s.untrack(f)
		return false
	}
	defer s.untrack(f)
	s.metrics.conns.WithLabelValues("proxied").Inc()
	s.metrics.handedOff.Inc()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()
	<-hc.done
	s.metrics.bytes.WithLabelValues("in").Add(float64(hc.in))
	s.metrics.bytes.WithLabelValues("out").Add(float64(hc.out))
	return true
}

// handedConn is a client connection in the node's hands: its first Close
// reads the kernel's byte counts (what a copy loop would have counted) and
// tells handOff the flow is over.
type handedConn struct {
	*net.TCPConn
	once    sync.Once
	done    chan struct{}
	in, out uint64 // bytes received from and acknowledged by the client; set before done closes
}

func (c *handedConn) Close() error {
	first := false
	c.once.Do(func() {
		first = true
		// Before the close: the counters go with the socket.
		c.in, c.out, _ = tcpCounters(c.TCPConn)
	})
	err := c.TCPConn.Close()
	if first {
		close(c.done)
	}
	return err
}
