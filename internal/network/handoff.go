package network

import (
	"net"
	"net/http"

	"gatehouse/internal/handoff"
)

// addHandoff registers the in-process entry of the endpoint address l
// listens on, for as long as l is open (serveListener removes it): a request
// the balancer hands over is admitted as a connection from its source would
// be (admit), then served by Deps.ServeHTTP with the endpoint id.
func (s *Service) addHandoff(l net.Listener) (remove func()) {
	addr, ok := addrPort(l.Addr())
	if !ok || s.serveHTTP == nil {
		return func() {}
	}
	return s.handoffs.AddRequest(addr, s.serveHandedOff)
}

// serveHandedOff is admit for one request instead of a connection: the
// binding of the address it was sent to, the security groups against the
// caller's address. A refused request gets handoff.ErrRefused (over a
// socket its connection would be closed before a byte), one for an address
// without endpoint handoff.ErrUnavailable (the socket is going away).
func (s *Service) serveHandedOff(w http.ResponseWriter, r *http.Request, from handoff.Peer) error {
	t := s.table.Load()
	var b *binding
	if t != nil {
		b = t.byAddr[from.Local]
	}
	switch {
	case b == nil:
		s.m.unbound.Inc()
		s.log.Debug("request to an address without endpoint refused", "local", from.Local, "remote", from.Source)
		return handoff.ErrUnavailable
	case !b.allows(from.Source.Addr()):
		s.m.denied.Inc()
		s.log.Debug("request denied by security groups", "vpce", b.vpceID, "local", from.Local, "remote", from.Source)
		return handoff.ErrRefused
	}
	s.m.handedOff.Inc()
	return s.serveHTTP(w, r, b.vpceID, from.Source)
}
