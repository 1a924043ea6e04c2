//go:build linux

package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// server reads the queries sent to a loopback socket and hands each to
// reply, with the client addresses seen so far; asked counts them.
type server struct {
	pc    net.PacketConn
	asked atomic.Int64
}

type replyFunc func(pc net.PacketConn, q *dns.Msg, from net.Addr, clients []net.Addr)

func startServer(t *testing.T, reply replyFunc) *server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	s := &server{pc: pc}
	go func() {
		var clients []net.Addr
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			s.asked.Add(1)
			if !slices.ContainsFunc(clients, func(c net.Addr) bool { return c.String() == from.String() }) {
				clients = append(clients, from)
			}
			reply(pc, q, from, clients)
		}
	}()
	return s
}

func (s *server) addr() netip.AddrPort { return s.pc.LocalAddr().(*net.UDPAddr).AddrPort() }

func write(pc net.PacketConn, m *dns.Msg, to net.Addr) {
	if b, err := m.Pack(); err == nil {
		pc.WriteTo(b, to)
	}
}

// queryFile is three queries, read from a file as dnsperf's.
func queryFile(t *testing.T) [][]byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queries.txt")
	if err := os.WriteFile(path, []byte("a.bench.test A\nb.bench.test AAAA\n# a comment\nc.bench.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := readQueries(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 3 {
		t.Fatalf("read %d queries, want 3", len(q))
	}
	return q
}

func run(t *testing.T, addr netip.AddrPort, queries [][]byte, timeout time.Duration) *load {
	t.Helper()
	l, err := newLoad(addr, 2, 16, queries)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.run(time.Now().Add(300*time.Millisecond), timeout); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadCountsAnswers(t *testing.T) {
	srv := startServer(t, func(pc net.PacketConn, q *dns.Msg, from net.Addr, _ []net.Addr) {
		m := new(dns.Msg).SetReply(q)
		if q.Question[0].Name == "b.bench.test." {
			m.Rcode = dns.RcodeNameError
		}
		write(pc, m, from)
	})
	l := run(t, srv.addr(), queryFile(t), 100*time.Millisecond)
	if l.completed == 0 || l.lost != 0 || l.unexpected != 0 {
		t.Fatalf("completed %d, lost %d, unexpected %d: want answers, none lost or unexpected", l.completed, l.lost, l.unexpected)
	}
	if l.sent < l.completed || l.sent > l.completed+16 {
		t.Errorf("sent %d, completed %d: at most the 16 in flight unanswered", l.sent, l.completed)
	}
	// A third of the queries ask b, whose answers are NXDOMAIN.
	if nx := l.rcodes[dns.RcodeNameError]; nx == 0 || nx+l.rcodes[dns.RcodeSuccess] != l.completed {
		t.Errorf("rcodes %v of %d answers: want NOERROR and NXDOMAIN only", l.rcodes, l.completed)
	}
}

// TestLoadCountsOnlyAnswers: what is not the answer to a query in flight,
// from the socket it left, never counts.
func TestLoadCountsOnlyAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply replyFunc // what the server sends back
		// some: answers may count (the first of two); else none may.
		some bool
		// one: every slot asks the same question, so only the id tells a
		// second answer from the first.
		one bool
	}{
		{"another question", func(pc net.PacketConn, q *dns.Msg, from net.Addr, _ []net.Addr) {
			m := new(dns.Msg).SetReply(q)
			m.Question[0].Name = "other.bench.test."
			write(pc, m, from)
		}, false, false},
		{"no QR bit", func(pc net.PacketConn, q *dns.Msg, from net.Addr, _ []net.Addr) {
			m := new(dns.Msg).SetReply(q)
			m.Response = false
			write(pc, m, from)
		}, false, false},
		{"an id not in flight", func(pc net.PacketConn, q *dns.Msg, from net.Addr, _ []net.Addr) {
			m := new(dns.Msg).SetReply(q)
			m.Id += 16
			write(pc, m, from)
		}, false, false},
		{"to the other socket", func(pc net.PacketConn, q *dns.Msg, from net.Addr, clients []net.Addr) {
			for _, c := range clients {
				if c.String() != from.String() {
					write(pc, new(dns.Msg).SetReply(q), c)
					return
				}
			}
		}, false, false},
		{"every answer twice", func(pc net.PacketConn, q *dns.Msg, from net.Addr, _ []net.Addr) {
			m := new(dns.Msg).SetReply(q)
			write(pc, m, from)
			write(pc, m, from)
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, tc.reply)
			queries := queryFile(t)
			if tc.one {
				queries = queries[:1]
			}
			l := run(t, srv.addr(), queries, 50*time.Millisecond)
			srv.pc.Close() // the server reads no more: asked is final
			asked := srv.asked.Load()
			// A second answer can be taken for the first of the query its
			// slot asks next (the same id and, here, question), whose own
			// answer is then unexpected: at most the 16 in flight at the end
			// count more than the server was asked. Counted twice, each would.
			if l.unexpected == 0 || l.completed > asked+16 || (!tc.some && l.completed != 0) {
				t.Fatalf("server asked %d, completed %d, unexpected %d: want every stray answer unexpected, at most one counted a query", asked, l.completed, l.unexpected)
			}
		})
	}
}

func TestLoadLosesUnanswered(t *testing.T) {
	srv := startServer(t, func(net.PacketConn, *dns.Msg, net.Addr, []net.Addr) {}) // answers nothing
	l := run(t, srv.addr(), queryFile(t), 50*time.Millisecond)
	if l.completed != 0 || l.lost <= 16 || l.sent <= 16 {
		t.Fatalf("sent %d, completed %d, lost %d: want every query lost after its timeout, and its slot asking again", l.sent, l.completed, l.lost)
	}
}

// TestReportFields: the summary has the fields bench/dns.sh reads with awk
// where dnsperf has them: $4 of "Queries per second:" and of "Queries lost:",
// $3 of "Queries completed:", and "NAME count (pct%)" after "Response codes:".
func TestReportFields(t *testing.T) {
	l := &load{sent: 1000, completed: 990, lost: 10}
	l.rcodes[dns.RcodeSuccess], l.rcodes[dns.RcodeServerFailure] = 900, 90
	var b strings.Builder
	l.report(&b, 2)
	want := map[string][]string{
		"Queries per second:": {3: "495.000000"},
		"Queries lost:":       {2: "10", 3: "(1.00%)"},
		"Queries completed:":  {2: "990"},
		"Response codes:":     {2: "NOERROR", 3: "900", 4: "(90.91%)", 5: "SERVFAIL", 6: "90", 7: "(9.09%)"},
	}
	for _, line := range strings.Split(b.String(), "\n") {
		for prefix, fields := range want {
			if !strings.HasPrefix(strings.TrimSpace(line), prefix) {
				continue
			}
			got := strings.Fields(line)
			for i, f := range fields {
				if f != "" && (i >= len(got) || got[i] != f) {
					t.Errorf("%q: field %d is not %q", line, i+1, f)
				}
			}
			delete(want, prefix)
		}
	}
	if len(want) != 0 {
		t.Errorf("no lines for %v in:\n%s", want, b.String())
	}
}
