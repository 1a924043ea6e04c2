package nameserver

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/listen"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// readLimit bounds a read that must end; it is never asserted as a timing.
const readLimit = 30 * time.Second

// dialTCPFrom opens a TCP connection from src to the nameserver; nil if the
// nameserver reset it already while connecting (refused over a cap).
func dialTCPFrom(t *testing.T, h *harness, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: readLimit}
	c, err := d.Dial("tcp", h.svc.Addr())
	if errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	if err != nil {
		t.Fatalf("dial %s from %s: %v", h.svc.Addr(), src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// queryTCPFrom asks the nameserver over TCP from src, as dig +tcp does.
func queryTCPFrom(h *harness, src string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion("example.test.", dns.TypeSOA)
	c := &dns.Client{Net: "tcp", Timeout: readLimit, Dialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}}
	in, _, err := c.Exchange(m, h.svc.Addr())
	return in, err
}

// A TCP client that sends nothing holds a goroutine and a descriptor: the
// nameserver drops it after its read timeout rather than keep it.
func TestIdleTCPClientIsDropped(t *testing.T) {
	// A short read timeout, so the test does not wait out the default 5 s.
	h := startOn(t, store.NewMem(), func(d *Deps) { d.TCPReadTimeout = 50 * time.Millisecond })
	c := dialTCPFrom(t, h, "127.0.10.31")
	if c == nil {
		t.Fatal("an idle TCP client was reset at connect, want accepted")
	}
	c.SetReadDeadline(time.Now().Add(readLimit))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("idle TCP client: still open after %v, want closed by the server", readLimit)
	}
	if err == nil {
		t.Fatal("idle TCP client: read a byte, want the connection closed")
	}
}

// Over its per-source cap a TCP client is reset at once, while other clients
// and UDP still get answers; a closed connection frees its place.
func TestTCPCapRefusesAtOnce(t *testing.T) {
	const capped, other = "127.0.10.41", "127.0.10.42"
	budget := listen.NewBudget("dns_tcp", listen.Limits{Total: 10, PerSource: 2}, nil, nil)
	h := startOn(t, store.NewMem(), func(d *Deps) { d.Budget = budget })

	held := []net.Conn{dialTCPFrom(t, h, capped), dialTCPFrom(t, h, capped)}
	if held[0] == nil || held[1] == nil {
		t.Fatal("connections under the per-source cap were reset, want accepted")
	}
	// Accepted connections count once the server has taken them.
	testutil.Eventually(t, "open connections, want 2", func() (bool, string) {
		return budget.Open() == 2, fmt.Sprint(budget.Open())
	})
	if over := dialTCPFrom(t, h, capped); over != nil {
		over.SetReadDeadline(time.Now().Add(readLimit))
		_, err := over.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("a third connection from %s: read got %v, want a reset (connection reset by peer)", capped, err)
		}
	}
	if _, err := queryTCPFrom(h, other); err != nil {
		t.Fatalf("TCP query from %s while %s is at its cap: %v", other, capped, err)
	}
	m := new(dns.Msg)
	m.SetQuestion("example.test.", dns.TypeSOA)
	if _, _, err := new(dns.Client).Exchange(m, h.svc.Addr()); err != nil {
		t.Fatalf("UDP query while %s is at its TCP cap: %v", capped, err)
	}
	held[0].Close()
	testutil.Eventually(t, "open connections after a close, want 1", func() (bool, string) {
		return budget.Open() == 1, fmt.Sprint(budget.Open())
	})
	if _, err := queryTCPFrom(h, capped); err != nil {
		t.Fatalf("TCP query from %s after one of its connections closed: %v", capped, err)
	}
}
