//go:build linux

package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// serve answers every query on a loopback socket with answer(query) until
// the test ends, and returns its address.
func serve(t *testing.T, answer func(*dns.Msg) *dns.Msg) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		w.WriteMsg(answer(r))
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

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

func run(t *testing.T, addr netip.AddrPort, queries [][]byte) *load {
	t.Helper()
	l, err := newLoad(addr, 2, 16, queries)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.run(time.Now().Add(300*time.Millisecond), time.Second); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadCountsAnswers(t *testing.T) {
	addr := serve(t, func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg).SetReply(q)
		if q.Question[0].Name == "b.bench.test." {
			m.Rcode = dns.RcodeNameError
		}
		return m
	})
	l := run(t, addr, queryFile(t))
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

func TestLoadRefusesOtherQuestions(t *testing.T) {
	addr := serve(t, func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg).SetReply(q)
		m.Question[0].Name = "other.bench.test."
		return m
	})
	l := run(t, addr, queryFile(t))
	if l.completed != 0 || l.unexpected == 0 {
		t.Fatalf("completed %d, unexpected %d: an answer to another question must not count", l.completed, l.unexpected)
	}
}

func TestLoadLosesUnanswered(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	l, err := newLoad(pc.LocalAddr().(*net.UDPAddr).AddrPort(), 2, 16, queryFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.run(time.Now().Add(300*time.Millisecond), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if l.completed != 0 || l.lost < 16 {
		t.Fatalf("completed %d, lost %d: want every query lost after its timeout, and sent again", l.completed, l.lost)
	}
}
