package nameserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// startSlowTwin starts a second server on h's snapshot feed with the fast path
// off (every UDP query through miekg/dns) and waits until it serves h's table.
func startSlowTwin(t *testing.T, h *harness) *Service {
	t.Helper()
	svc := New(Deps{Store: h.st, Feed: h.svc.d.Feed, Env: model.DefaultEnv, Listen: "127.0.10.1:0"})
	svc.noFastPath = true
	ctx, cancel := context.WithCancel(h.ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("slow twin Run: %v", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-runErr:
		t.Fatalf("slow twin Run: %v", err)
	}
	if rev := h.svc.tab.Rev(); !svc.waitServed(h.ctx, rev) {
		t.Fatalf("slow twin did not reach rev %d", rev)
	}
	return svc
}

// exchangeRaw sends pkt over UDP to addr and returns the answer's bytes.
func exchangeRaw(t *testing.T, addr string, pkt []byte) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pkt); err != nil {
		t.Fatalf("send to %s: %v", addr, err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("answer from %s: %v", addr, err)
	}
	return buf[:n]
}

func counterValue(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestFastPathAnswersLikeMiekg sends the same packets to a server with the fast
// path and to one without it, over real UDP sockets, and wants the same bytes
// back; the common cases must be answered by the fast path, the rest by miekg/dns.
func TestFastPathAnswersLikeMiekg(t *testing.T) {
	h := start(t)
	populate(h)
	bigZone(h)
	slow := startSlowTwin(t, h)

	plainEDNS := func(m *dns.Msg) { m.SetEdns0(1232, false) }
	tests := []struct {
		name  string
		pkt   []byte
		rcode int
		fast  bool // answered without miekg/dns
	}{
		{name: "A", pkt: packQuery(t, "api.example.test.", dns.TypeA, nil), fast: true},
		{name: "A again, from the cache", pkt: packQuery(t, "api.example.test.", dns.TypeA, nil), fast: true},
		{name: "AAAA", pkt: packQuery(t, "v6.example.test.", dns.TypeAAAA, nil), fast: true},
		{name: "CNAME chain", pkt: packQuery(t, "www.example.test.", dns.TypeA, nil), fast: true},
		{name: "CNAME loop", pkt: packQuery(t, "loop1.example.test.", dns.TypeA, nil), fast: true},
		{name: "alias to the accelerator", pkt: packQuery(t, "example.test.", dns.TypeA, nil), fast: true},
		{name: "alias to the load balancer", pkt: packQuery(t, "lb.example.test.", dns.TypeA, nil), fast: true},
		{name: "accelerator name", pkt: packQuery(t, gaName+".", dns.TypeA, nil), fast: true},
		{name: "execute-api private DNS", pkt: packQuery(t, "abc123.execute-api.us-west-2.amazonaws.com.", dns.TypeA, nil), fast: true},
		{name: "NXDOMAIN", pkt: packQuery(t, "nothing.example.test.", dns.TypeA, nil), rcode: dns.RcodeNameError, fast: true},
		{name: "NODATA with SOA", pkt: packQuery(t, "api.example.test.", dns.TypeMX, nil), fast: true},
		{name: "empty non-terminal", pkt: packQuery(t, "b.deep.example.test.", dns.TypeA, nil), fast: true},
		{name: "wildcard", pkt: packQuery(t, "x.wild.example.test.", dns.TypeA, nil), fast: true},
		{name: "delegation", pkt: packQuery(t, "host.sub.example.test.", dns.TypeA, nil), fast: true},
		{name: "case-mixed", pkt: packQuery(t, "WwW.ExAmPlE.tEsT.", dns.TypeA, nil), fast: true},
		{name: "case-mixed after lowercase is cached", pkt: packQuery(t, "API.EXAMPLE.TEST.", dns.TypeA, nil), fast: true},
		{name: "RD and CD echoed", pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.RecursionDesired, m.CheckingDisabled = true, true }), fast: true},
		{name: "EDNS", pkt: packQuery(t, "api.example.test.", dns.TypeA, plainEDNS), fast: true},
		{name: "EDNS as dig sends it (cookie, AD)", pkt: packQuery(t, "api.example.test.", dns.TypeA, digEDNS), fast: true},
		{name: "EDNS with DO", pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(4096, true) }), fast: true},
		{name: "EDNS buffer under 512", pkt: packQuery(t, "nothing.example.test.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(100, false) }), rcode: dns.RcodeNameError, fast: true},
		{name: "zone not served", pkt: packQuery(t, "example.com.", dns.TypeA, nil), rcode: dns.RcodeRefused, fast: true},

		{name: "answer over 512 bytes is truncated", pkt: packQuery(t, "big.test.", dns.TypeTXT, nil)},
		{name: "answer over the EDNS buffer is truncated", pkt: packQuery(t, "big.test.", dns.TypeTXT, plainEDNS)},
		{name: "ANY", pkt: packQuery(t, "api.example.test.", dns.TypeANY, nil)},
		{name: "EDNS version 1", rcode: dns.RcodeBadVers, pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().SetVersion(1)
		})},
		{name: "EDNS client subnet", pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IP{192, 0, 2, 0}})
		})},
		{name: "two questions", rcode: dns.RcodeFormatError, pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) {
			m.Question = append(m.Question, m.Question[0])
		})},
		{name: "class CHAOS", rcode: dns.RcodeRefused, pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })},
		{name: "opcode STATUS", rcode: dns.RcodeNotImplemented, pkt: packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeStatus })},
		{name: "truncated question", rcode: dns.RcodeFormatError, pkt: packQuery(t, "api.example.test.", dns.TypeA, nil)[:headerLen+9]},
		{name: "name with an escaped dot", rcode: dns.RcodeNameError, pkt: packQuery(t, `a\.b.example.test.`, dns.TypeA, nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := counterValue(t, h.svc.m.fallback)
			got := exchangeRaw(t, h.svc.Addr(), tc.pkt)
			want := exchangeRaw(t, slow.Addr(), tc.pkt)
			if !bytes.Equal(got, want) {
				t.Errorf("answers differ\nfast path: % x\nmiekg/dns: % x", got, want)
			}
			var resp dns.Msg
			if err := resp.Unpack(got); err != nil {
				t.Fatalf("answer does not unpack: %v", err)
			}
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
			}
			if fellBack := counterValue(t, h.svc.m.fallback) - before; (fellBack == 0) != tc.fast {
				t.Errorf("answered by the fast path: got %v, want %v", fellBack == 0, tc.fast)
			}
		})
	}
}

// TestFastPathFollowsTableChanges proves a cached wire answer never outlives
// its table: a changed record set is answered from the new table at once.
func TestFastPathFollowsTableChanges(t *testing.T) {
	h := start(t)
	z := populate(h)
	pkt := packQuery(t, "api.example.test.", dns.TypeA, nil)
	ask := func() []string {
		var m dns.Msg
		if err := m.Unpack(exchangeRaw(t, h.svc.Addr(), pkt)); err != nil {
			t.Fatal(err)
		}
		return rrs(m.Answer)
	}
	if got := ask(); len(got) != 2 {
		t.Fatalf("before: got %q, want the two A records", got)
	}
	h.change(z.ID, Change{Action: "UPSERT", Set: model.RecordSet{Name: "api.example.test", Type: "A", TTL: 300, Records: []string{"192.0.2.99"}}})
	want := []string{"api.example.test. A 192.0.2.99"}
	if got := ask(); !slicesEqual(got, want) {
		t.Errorf("after UPSERT: got %q, want %q", got, want)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkUDPQuery is one query and its answer over a real UDP socket, with
// and without the fast path. Allocations count the whole process: the client
// (a connected socket, reused buffers) allocates nothing, so they are the
// server's.
func BenchmarkUDPQuery(b *testing.B) {
	for _, bc := range []struct {
		name string
		slow bool
	}{{"fast", false}, {"miekg", true}} {
		b.Run(bc.name, func(b *testing.B) {
			svc := New(Deps{Store: store.NewMem(), Feed: live.NewFeed(fuzzSnapshot()), Env: model.DefaultEnv, Listen: "127.0.10.1:0"})
			svc.noFastPath = bc.slow
			ctx, cancel := context.WithCancel(context.Background())
			runErr := make(chan error, 1)
			go func() { runErr <- svc.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-runErr; err != nil {
					b.Errorf("Run: %v", err)
				}
			}()
			<-svc.Ready()
			c, err := net.Dial("udp", svc.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			pkt := packQuery(b, "api.example.test.", dns.TypeA, nil)
			buf := make([]byte, 512)
			c.SetReadDeadline(time.Now().Add(time.Minute))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(pkt); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFastPathBurst keeps many queries in flight from several sockets at once,
// so the readers take them in batches of many datagrams, with some the fast
// path declines (ANY) among them: every query gets
// the answer the slow path gives to it alone, with its own ID, and the UDP
// query counter (counted per batch) counts each answer once by response code.
func TestFastPathBurst(t *testing.T) {
	h := start(t)
	populate(h)
	slow := startSlowTwin(t, h)

	const (
		sockets  = 3
		inFlight = 32 // per socket and wave: well within a default socket buffer
		waves    = 8
	)
	kinds := []struct {
		name  string
		qtype uint16
		rcode int
	}{
		{"api.example.test.", dns.TypeA, dns.RcodeSuccess},
		{"nothing.example.test.", dns.TypeA, dns.RcodeNameError},
		{"www.example.test.", dns.TypeA, dns.RcodeSuccess},
		{"api.example.test.", dns.TypeANY, dns.RcodeSuccess}, // the slow path's
	}
	// want[k] is kind k's answer from the slow twin; only the ID differs per query.
	want := make([][]byte, len(kinds))
	for k, kind := range kinds {
		want[k] = exchangeRaw(t, slow.Addr(), packQuery(t, kind.name, kind.qtype, nil))
	}
	count := func(rcode int) float64 {
		return counterValue(t, h.svc.m.queries.WithLabelValues("udp", dns.RcodeToString[rcode]))
	}
	noerror, nxdomain := count(dns.RcodeSuccess), count(dns.RcodeNameError)

	wantCount := map[int]float64{}
	errs := make(chan error, sockets)
	for s := range sockets {
		c, err := net.Dial("udp", h.svc.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range waves * inFlight {
			wantCount[kinds[(s+i)%len(kinds)].rcode]++
		}
		go func() {
			errs <- func() error {
				buf := make([]byte, 65535)
				c.SetReadDeadline(time.Now().Add(time.Minute))
				for w := range waves {
					for i := range inFlight {
						kind := kinds[(s+w*inFlight+i)%len(kinds)]
						m := new(dns.Msg)
						m.SetQuestion(kind.name, kind.qtype)
						m.Id = uint16(w*inFlight + i)
						pkt, err := m.Pack()
						if err != nil {
							return err
						}
						if _, err := c.Write(pkt); err != nil {
							return fmt.Errorf("send: %w", err)
						}
					}
					for range inFlight {
						n, err := c.Read(buf)
						if err != nil {
							return fmt.Errorf("socket %d wave %d: %w", s, w, err)
						}
						id := int(binary.BigEndian.Uint16(buf))
						k := (s + id) % len(kinds)
						if id/inFlight != w {
							return fmt.Errorf("socket %d wave %d: got the answer to query %d", s, w, id)
						}
						got := append([]byte(nil), buf[:n]...)
						binary.BigEndian.PutUint16(got, binary.BigEndian.Uint16(want[k]))
						if !bytes.Equal(got, want[k]) {
							return fmt.Errorf("socket %d query %d (%s %s): got % x, want % x", s, id,
								kinds[k].name, dns.TypeToString[kinds[k].qtype], buf[:n], want[k])
						}
					}
				}
				return nil
			}()
		}()
	}
	for range sockets {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// miekg/dns's handler counts after it writes the answer (ANY): poll.
	counted := func() (float64, float64) {
		return count(dns.RcodeSuccess) - noerror, count(dns.RcodeNameError) - nxdomain
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok, nx := counted(); ok >= wantCount[dns.RcodeSuccess] && nx >= wantCount[dns.RcodeNameError] {
			break
		}
	}
	if got, _ := counted(); got != wantCount[dns.RcodeSuccess] {
		t.Errorf("udp NOERROR answers counted: got %v, want %v", got, wantCount[dns.RcodeSuccess])
	}
	if _, got := counted(); got != wantCount[dns.RcodeNameError] {
		t.Errorf("udp NXDOMAIN answers counted: got %v, want %v", got, wantCount[dns.RcodeNameError])
	}
}
