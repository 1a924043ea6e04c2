package accelerator

import (
	"net/netip"
	"slices"
)

// What this node can announce to routers (package bgp, wired by the daemon):
// a static IP is worth attracting traffic to only if this node accepts
// connections on it and has somewhere healthy to send them.

// Announceable returns a /32 for every static IP that this node serves now:
// its accelerator is enabled and in the data plane, every socket of the IP
// (one per listener port) is open, and some listener of the accelerator has
// an endpoint group with a healthy endpoint of weight > 0, which is the rule
// route.plan picks endpoints by before it fails open. With Deps.LocalHealth,
// healthy means healthy by this node's own completed checks (a node that
// has not checked yet announces nothing); without, by the stored report.
// Sorted; none before Run has applied a table.
func (s *Service) Announceable() []netip.Prefix {
	t := s.table.Load()
	listening := s.listening.Load()
	if t == nil || listening == nil {
		return nil
	}
	open := map[string]bool{}
	for _, a := range *listening {
		open[a] = true
	}
	var out []netip.Prefix
	for _, st := range t.accelerators {
		if !st.enabled || st.problem != "" || len(st.addrs) == 0 {
			continue
		}
		healthy := false
		served := map[netip.Addr]bool{} // static IP → all its sockets open so far
		for _, a := range st.addrs {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				continue // compile wrote it from a netip.AddrPort
			}
			if r := t.routes[ap]; r != nil && !healthy {
				healthy = slices.ContainsFunc(r.groups, s.announceable)
			}
			ok, seen := served[ap.Addr()]
			served[ap.Addr()] = open[a] && (ok || !seen)
		}
		if !healthy {
			continue
		}
		for ip, ok := range served {
			if ok {
				out = append(out, netip.PrefixFrom(ip, 32))
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// announceable reports whether g has an endpoint of weight > 0 that is
// healthy as Announceable counts health.
func (s *Service) announceable(g *group) bool {
	if s.d.LocalHealth == nil {
		return g.servable(true)
	}
	for _, e := range g.endpoints {
		if e.weight <= 0 {
			continue
		}
		if healthy, known := s.d.LocalHealth(e.id); healthy && known {
			return true
		}
	}
	return false
}

// OpenFlows is the number of client connections being proxied now: what a
// graceful stop waits for after withdrawing the static IPs.
func (s *Service) OpenFlows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.flows)
}
