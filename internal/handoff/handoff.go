// Package handoff lets one hop of the chain hand its traffic to the next hop
// in the same process instead of over a loopback socket (the idea of Envoy's
// internal listeners). A Registry maps an address this process serves to the
// entry that serves it; the service that owns the address's listener
// registers the entry while the listener is open, and the hop before it looks
// the address up where it would dial:
//
//   - an L4 entry (ConnHandler) takes an accepted client connection, with the
//     client's address as metadata in place of a PROXY protocol header: the
//     accelerator hands its client to a load balancer node's listener;
//   - an L7 entry (RequestHandler) serves one HTTP request in process, with
//     the caller's address as metadata in place of a connection: the load
//     balancer forwards to an interface endpoint, whose entry runs the
//     endpoint's admission and the gateway's handler.
//
// Services never import each other: the daemon builds one Registry and passes
// it in each service's Deps. A nil *Registry is hand-off turned off: every
// lookup misses and every registration is a no-op, so each hop dials a real
// socket (daemon.Config.Handoff, serve --handoff=false).
//
// Concurrency: lookups are one atomic load of an immutable map, so the per
// connection and per request cost is a map read with no lock; registrations
// (a listener opening or closing) copy the map under a mutex.
package handoff

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
)

// ConnHandler takes c, a client connection accepted by the hop before, as if
// its own listener had accepted it from source: the client's address where a
// PROXY header would carry it, else the previous hop's. It reports false,
// leaving c to the caller, when it cannot take c now (its listener is
// closing); true means it owns c and will close it.
type ConnHandler func(c net.Conn, source netip.AddrPort) bool

// Peer is what a request carries across an L7 hand-off instead of a
// connection: where it comes from and the address it was sent to.
type Peer struct {
	Source netip.AddrPort // the caller's address (a load balancer node's IP)
	Local  netip.AddrPort // the address the request is for (the entry's key)
}

// RequestHandler serves r in process as the server on Peer.Local would serve
// it from a connection opened by Peer.Source. It returns an error, having
// written nothing to w, when that server would not have accepted the
// connection: ErrRefused (admission denied: the connection would be closed
// before a byte) or ErrUnavailable (nothing serves the address now).
type RequestHandler func(w http.ResponseWriter, r *http.Request, from Peer) error

var (
	// ErrRefused is admission denied: over a socket the caller would have
	// seen its connection closed before the TLS handshake.
	ErrRefused = errors.New("hand-off refused by admission")
	// ErrUnavailable is no server behind the address any more (it is
	// closing): over a socket the connection would have been refused.
	ErrUnavailable = errors.New("hand-off target unavailable")
)

// Registry maps served addresses to their entries. The zero value is ready;
// a nil *Registry is hand-off turned off.
type Registry struct {
	l4 entries[ConnHandler]
	l7 entries[RequestHandler]
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

// Enabled reports whether hand-off is on (r is not nil).
func (r *Registry) Enabled() bool { return r != nil }

// AddConn registers h for addr and returns the function that removes it
// (removing only this registration, so a listener that reopens on the same
// address is not removed by the old one's late cleanup).
func (r *Registry) AddConn(addr netip.AddrPort, h ConnHandler) (remove func()) {
	if r == nil {
		return func() {}
	}
	return r.l4.add(addr, h)
}

// Conn returns the L4 entry for addr, if this process serves it.
func (r *Registry) Conn(addr netip.AddrPort) (ConnHandler, bool) {
	if r == nil {
		return nil, false
	}
	return r.l4.get(addr)
}

// AddRequest registers h for addr; see AddConn.
func (r *Registry) AddRequest(addr netip.AddrPort, h RequestHandler) (remove func()) {
	if r == nil {
		return func() {}
	}
	return r.l7.add(addr, h)
}

// Request returns the L7 entry for addr, if this process serves it.
func (r *Registry) Request(addr netip.AddrPort) (RequestHandler, bool) {
	if r == nil {
		return nil, false
	}
	return r.l7.get(addr)
}

// entries is a copy-on-write map: get is lock-free, add and remove copy.
type entries[H any] struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[netip.AddrPort]*entry[H]]
}

// entry is boxed so that removal can tell its own registration from a newer
// one for the same address.
type entry[H any] struct{ h H }

func (e *entries[H]) get(addr netip.AddrPort) (H, bool) {
	var zero H
	m := e.m.Load()
	if m == nil {
		return zero, false
	}
	if en, ok := (*m)[canonical(addr)]; ok {
		return en.h, true
	}
	return zero, false
}

func (e *entries[H]) add(addr netip.AddrPort, h H) func() {
	addr = canonical(addr)
	en := &entry[H]{h: h}
	e.update(func(m map[netip.AddrPort]*entry[H]) { m[addr] = en })
	var once sync.Once
	return func() {
		once.Do(func() {
			e.update(func(m map[netip.AddrPort]*entry[H]) {
				if m[addr] == en {
					delete(m, addr)
				}
			})
		})
	}
}

func (e *entries[H]) update(change func(map[netip.AddrPort]*entry[H])) {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := map[netip.AddrPort]*entry[H]{}
	if old := e.m.Load(); old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	change(next)
	e.m.Store(&next)
}

// canonical unmaps IPv4-mapped IPv6 addresses, as sockets report them, so a
// listener's address and a dial target name the same key.
func canonical(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// AddrPortOf converts a TCP address (a listener's or a connection's) to a
// registry key; ok is false for anything else.
func AddrPortOf(a net.Addr) (netip.AddrPort, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ta.AddrPort()
	return canonical(ap), ap.IsValid()
}
