package accelerator

import (
	"errors"
	"net"
)

// A graceful stop behind a router that spreads flows by hash (ECMP) keeps no
// connection that is open when the node's route is withdrawn: the router sends
// its next packet to another node, which resets it. So the daemon first stops
// this node from taking new connections, silently (StopAccepting), lets the
// ones it has finish, and only then withdraws the static IPs (daemon/bgp.go
// has the whole sequence and its timing).

// StopAccepting makes every static IP socket drop new connections' SYNs
// without an answer, now and for any socket opened later, while everything
// already connected carries on. A client's SYN that is dropped is sent again
// after its initial retransmission timeout (1 s), by which time the daemon has
// withdrawn the route and the router sends it to another node; a reset or a
// closed socket would fail the connection instead. It reports the sockets it
// could not quiet (on systems without socket filters: all of them); those
// keep accepting.
func (s *Service) StopAccepting() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quiet = true
	var errs []error
	for l := range s.sockets {
		errs = append(errs, dropNewConnections(l))
	}
	err := errors.Join(errs...)
	s.log.Info("static IP sockets drop new connections", "sockets", len(s.sockets), "flows", len(s.flows))
	return err
}

// addSocket registers a socket its accept loop starts on, quieted at once if
// StopAccepting came first (a table applied during the stop).
func (s *Service) addSocket(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sockets[l] = struct{}{}
	if s.quiet {
		if err := dropNewConnections(l); err != nil {
			s.log.Warn("socket opened while stopping accepts new connections", "err", err)
		}
	}
}

func (s *Service) removeSocket(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sockets, l)
}
