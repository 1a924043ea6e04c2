package network

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// maxAcceptBackoff bounds the pause after a failed Accept (e.g. out of file
// descriptors), so a burst of failures never spins and recovery is quick.
const maxAcceptBackoff = time.Second

// serveListener accepts connections on one endpoint address until the listener
// closes. The listen.Set owns the goroutine that runs it.
func (s *Service) serveListener(l net.Listener) {
	defer s.addHandoff(l)()
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			s.log.Warn("accept on endpoint address", "addr", l.Addr(), "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.admit(c)
	}
}

// admit applies the endpoint's security groups to a new connection: hand it off if
// some ingress rule allows TCP from its source to the port, close it otherwise.
// No byte is read before the decision, so a denied peer holds nothing.
func (s *Service) admit(c net.Conn) {
	t := s.table.Load()
	local, lok := addrPort(c.LocalAddr())
	remote, rok := addrPort(c.RemoteAddr())
	var b *binding
	if t != nil && lok {
		b = t.byAddr[local]
	}
	switch {
	case b == nil:
		// The endpoint went away between the table swap and the socket closing.
		s.m.unbound.Inc()
		s.log.Debug("connection to an address without endpoint closed", "local", c.LocalAddr(), "remote", c.RemoteAddr())
		c.Close()
		return
	case !rok || !b.allows(remote.Addr()):
		s.m.denied.Inc()
		s.log.Debug("connection denied by security groups", "vpce", b.vpceID, "local", c.LocalAddr(), "remote", c.RemoteAddr())
		c.Close()
		return
	}
	s.m.allowed.Inc()
	if s.handoff == nil {
		c.Close()
		return
	}
	// Add happens on an accept loop, which listen.Set.Close waits for before Run
	// calls Wait, so Add never races Wait.
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		s.handoff(c, b.vpceID)
	}()
}

// addrPort converts a TCP address to its canonical form (IPv4 unmapped), the form
// of the table's keys.
func addrPort(a net.Addr) (netip.AddrPort, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.IsValid()
}
