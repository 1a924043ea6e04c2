package nameserver

import (
	"bytes"
	"testing"

	"github.com/miekg/dns"
)

// slowAnswer is what the miekg/dns path sends for pkt: the message unpacked,
// answered by respond as over UDP, packed. nil: no answer (it does not unpack).
func slowAnswer(t *table, pkt []byte) []byte {
	req := new(dns.Msg)
	if err := req.Unpack(pkt); err != nil {
		return nil
	}
	resp := respond(t, req, true)
	if resp == nil {
		return nil
	}
	b, err := resp.Pack()
	if err != nil {
		return nil
	}
	return b
}

// packQuery packs a query for name/qtype; edit changes it first.
func packQuery(tb testing.TB, name string, qtype uint16, edit func(m *dns.Msg)) []byte {
	tb.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 0x1234
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	if err != nil {
		tb.Fatalf("pack %s: %v", name, err)
	}
	return b
}

// digEDNS is the OPT record dig sends by default: 1232 bytes, a client cookie.
func digEDNS(m *dns.Msg) {
	m.RecursionDesired, m.AuthenticatedData = true, true
	m.SetEdns0(1232, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
}

// FuzzFastPath feeds arbitrary bytes to the fast path's parser: it must not
// panic, and whatever it answers it must answer byte for byte as the slow path.
func FuzzFastPath(f *testing.F) {
	for _, q := range []struct {
		name string
		typ  uint16
		edit func(m *dns.Msg)
	}{
		{"api.example.test.", dns.TypeA, nil},
		{"API.Example.TEST.", dns.TypeA, digEDNS},
		{"www.example.test.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(4096, true) }},
		{"l1.example.test.", dns.TypeA, nil},
		{"x.w.example.test.", dns.TypeTXT, nil},
		{"a.sub.example.test.", dns.TypeA, nil},
		{"nothing.example.test.", dns.TypeA, nil},
		{"api.example.test.", dns.TypeMX, nil},
		{gaName + ".", dns.TypeAAAA, nil},
		{"self.example.test.", dns.TypeA, nil},
		{"example.com.", dns.TypeA, nil},
		{".", dns.TypeNS, nil},
		{"example.test.", dns.TypeANY, nil},
	} {
		f.Add(packQuery(f, q.name, q.typ, q.edit))
	}
	f.Add([]byte{0xde, 0xad, 0xbe, 0xef})
	tbl := fuzzTable(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		out := make([]byte, udpBufferSize)
		n := answerFast(tbl, pkt, out)
		if n == 0 {
			return
		}
		want := slowAnswer(tbl, pkt)
		if want == nil {
			t.Fatalf("fast path answered a message the slow path does not:\n% x", pkt)
		}
		if !bytes.Equal(out[:n], want) {
			t.Fatalf("answers differ for % x\nfast % x\nslow % x", pkt, out[:n], want)
		}
	})
}

// TestFastPathDeclines lists what the fast path leaves to miekg/dns.
func TestFastPathDeclines(t *testing.T) {
	tbl := fuzzTable(t)
	long := ""
	for range 30 {
		long += "abcdefgh."
	}
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"response", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Response = true })},
		{"opcode NOTIFY", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify })},
		{"TC set", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Truncated = true })},
		{"two questions", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) })},
		{"ANY", packQuery(t, "api.example.test.", dns.TypeANY, nil)},
		{"AXFR", packQuery(t, "example.test.", dns.TypeAXFR, nil)},
		{"class CH", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })},
		{"EDNS version 1", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) })},
		{"EDNS client subnet", packQuery(t, "api.example.test.", dns.TypeA, func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: []byte{192, 0, 2, 0}})
		})},
		{"escaped byte in name", packQuery(t, `a\.b.example.test.`, dns.TypeA, nil)},
		{"name of 270 bytes", packQuery(t, long, dns.TypeA, nil)[:headerLen+2]},
		{"truncated question", packQuery(t, "api.example.test.", dns.TypeA, nil)[:headerLen+10]},
		{"trailing byte", append(packQuery(t, "api.example.test.", dns.TypeA, nil), 0)},
		{"header only", packQuery(t, "api.example.test.", dns.TypeA, nil)[:headerLen]},
	}
	out := make([]byte, udpBufferSize)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := answerFast(tbl, tc.pkt, out); n != 0 {
				t.Errorf("fast path answered (%d bytes), want it left to miekg/dns", n)
			}
		})
	}
}

// BenchmarkAnswerFast is the fast path's per-query cost once the answer is cached.
func BenchmarkAnswerFast(b *testing.B) {
	tbl := fuzzTable(b)
	for _, bc := range []struct {
		name string
		pkt  []byte
	}{
		{"A", packQuery(b, "api.example.test.", dns.TypeA, nil)},
		{"A-dig-EDNS", packQuery(b, "Api.Example.Test.", dns.TypeA, digEDNS)},
		{"NXDOMAIN", packQuery(b, "nothing.example.test.", dns.TypeA, nil)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			out := make([]byte, udpBufferSize)
			if answerFast(tbl, bc.pkt, out) == 0 {
				b.Fatal("not answered by the fast path")
			}
			b.ReportAllocs()
			for b.Loop() {
				answerFast(tbl, bc.pkt, out)
			}
		})
	}
}

// BenchmarkAnswerSlow is the same queries through miekg/dns: unpack, respond, pack.
func BenchmarkAnswerSlow(b *testing.B) {
	tbl := fuzzTable(b)
	pkt := packQuery(b, "api.example.test.", dns.TypeA, nil)
	b.ReportAllocs()
	for b.Loop() {
		slowAnswer(tbl, pkt)
	}
}
