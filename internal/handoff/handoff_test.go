package handoff

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
)

func TestRegistry(t *testing.T) {
	node := netip.MustParseAddrPort("127.106.1.5:443")
	mapped := netip.AddrPortFrom(netip.AddrFrom16(node.Addr().As16()), 443) // ::ffff:127.106.1.5
	other := netip.MustParseAddrPort("127.106.1.6:443")
	took := func(net.Conn, netip.AddrPort) bool { return true }
	serve := func(http.ResponseWriter, *http.Request, Peer) error { return nil }

	tests := []struct {
		name     string
		setup    func(r *Registry)
		lookup   netip.AddrPort
		wantConn bool
		wantReq  bool
	}{
		{"empty", func(*Registry) {}, node, false, false},
		{"conn entry found", func(r *Registry) { r.AddConn(node, took) }, node, true, false},
		{"request entry found", func(r *Registry) { r.AddRequest(node, serve) }, node, false, true},
		{"IPv4-mapped lookup finds IPv4 key", func(r *Registry) { r.AddConn(node, took) }, mapped, true, false},
		{"other address misses", func(r *Registry) { r.AddConn(node, took); r.AddRequest(node, serve) }, other, false, false},
		{"removed entry misses", func(r *Registry) { r.AddConn(node, took)() }, node, false, false},
		{"late removal keeps the newer registration", func(r *Registry) {
			old := r.AddConn(node, took)
			r.AddConn(node, took)
			old()
		}, node, true, false},
		{"removal is idempotent", func(r *Registry) {
			remove := r.AddRequest(node, serve)
			remove()
			r.AddRequest(node, serve)
			remove()
		}, node, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			tt.setup(r)
			if _, got := r.Conn(tt.lookup); got != tt.wantConn {
				t.Errorf("Conn(%v) found: got %v, want %v", tt.lookup, got, tt.wantConn)
			}
			if _, got := r.Request(tt.lookup); got != tt.wantReq {
				t.Errorf("Request(%v) found: got %v, want %v", tt.lookup, got, tt.wantReq)
			}
		})
	}
}

// A nil registry is hand-off turned off: lookups miss, registrations do nothing.
func TestNilRegistryIsOff(t *testing.T) {
	var r *Registry
	addr := netip.MustParseAddrPort("127.106.1.5:443")
	r.AddConn(addr, func(net.Conn, netip.AddrPort) bool { return true })()
	r.AddRequest(addr, func(http.ResponseWriter, *http.Request, Peer) error { return nil })()
	if r.Enabled() {
		t.Error("nil registry: Enabled got true, want false")
	}
	if _, ok := r.Conn(addr); ok {
		t.Error("nil registry: Conn found an entry")
	}
	if _, ok := r.Request(addr); ok {
		t.Error("nil registry: Request found an entry")
	}
}

// Lookups run beside registrations (listeners opening and closing) without a
// lock; the race detector checks it.
func TestRegistryConcurrent(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for i := range 8 {
		addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 106, 1, byte(i)}), 443)
		wg.Go(func() {
			for range 200 {
				remove := r.AddConn(addr, func(net.Conn, netip.AddrPort) bool { return true })
				if _, ok := r.Conn(addr); !ok {
					t.Errorf("Conn(%v) missed its own registration", addr)
				}
				remove()
			}
		})
	}
	wg.Wait()
}
