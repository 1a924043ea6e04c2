package nameserver

import (
	"context"
	"testing"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// fuzzTable is a table with every feature the hot path uses: zone, CNAMEs (with
// a loop), wildcard, delegation, aliases and service names.
func fuzzTable(tb testing.TB) *table {
	t, err := compile(fuzzSnapshot())
	if err != nil || len(t.problems) > 0 {
		tb.Fatalf("compile: %v %v", err, t.problems)
	}
	return t
}

// fuzzSnapshot is the snapshot of fuzzTable.
func fuzzSnapshot() *model.Snapshot {
	snap := model.EmptySnapshot()
	snap.Accelerators[gaARN] = &model.Accelerator{DNSName: gaName,
		IPSets: []model.IPSet{{IPAddresses: []string{"127.0.10.21", "2001:db8::21"}}}}
	snap.HostedZones["Z1"] = &model.HostedZone{ID: "Z1", Name: "example.test."}
	add := func(name, typ string, values ...string) {
		snap.RecordSets[model.RecordSetID("Z1", name, typ)] = &model.RecordSet{ZoneID: "Z1", Name: name, Type: typ, TTL: 60, Records: values}
	}
	add("example.test.", "SOA", "ns-1.awsdns-00.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")
	add("example.test.", "NS", "ns-1.awsdns-00.org.")
	add("api.example.test.", "A", "192.0.2.1")
	add("www.example.test.", "CNAME", "api.example.test.")
	add("l1.example.test.", "CNAME", "l2.example.test.")
	add("l2.example.test.", "CNAME", "l1.example.test.")
	add("*.w.example.test.", "TXT", `"wild"`)
	add("sub.example.test.", "NS", "ns.sub.example.test.")
	add("ns.sub.example.test.", "A", "192.0.2.53")
	snap.RecordSets[model.RecordSetID("Z1", "example.test.", "A")] = &model.RecordSet{ZoneID: "Z1", Name: "example.test.", Type: "A",
		Alias: &model.AliasTarget{HostedZoneID: model.AcceleratorHostedZoneID, DNSName: gaName + "."}}
	snap.RecordSets[model.RecordSetID("Z1", "self.example.test.", "A")] = &model.RecordSet{ZoneID: "Z1", Name: "self.example.test.", Type: "A",
		Alias: &model.AliasTarget{HostedZoneID: "Z1", DNSName: "self.example.test."}}
	return snap
}

// FuzzRespond feeds arbitrary bytes as a DNS message to the hot path: whatever
// unpacks must get an answer that packs, without a panic.
func FuzzRespond(f *testing.F) {
	for _, q := range []struct {
		name string
		typ  uint16
	}{{"api.example.test.", dns.TypeA}, {"www.example.test.", dns.TypeA}, {"l1.example.test.", dns.TypeA},
		{"x.w.example.test.", dns.TypeTXT}, {"a.sub.example.test.", dns.TypeA}, {"example.test.", dns.TypeANY},
		{gaName + ".", dns.TypeAAAA}, {"self.example.test.", dns.TypeA}, {"example.com.", dns.TypeA}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.typ)
		m.SetEdns0(1232, true)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xde, 0xad, 0xbe, 0xef})
	tbl := fuzzTable(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		req := new(dns.Msg)
		if err := req.Unpack(b); err != nil {
			return // miekg/dns answers FORMERR (or nothing) before our handler
		}
		for _, udp := range []bool{true, false} {
			resp := respond(tbl, req, udp)
			if resp == nil {
				if !req.Response {
					t.Fatalf("no answer to a query")
				}
				continue
			}
			out, err := resp.Pack()
			if err != nil {
				t.Fatalf("answer does not pack: %v\n%v", err, resp)
			}
			if udp && len(out) > udpBufferSize {
				t.Fatalf("UDP answer of %d bytes", len(out))
			}
			if udp && len(req.Question) == 1 && req.Question[0].Qtype == dns.TypeANY && len(resp.Answer) > 0 {
				t.Fatalf("UDP answer to ANY holds %d records, want none (RFC 8482)", len(resp.Answer))
			}
		}
	})
}

// FuzzCheckValue feeds arbitrary record values (they come from API callers)
// through validation; a value that passes must parse for the table too.
func FuzzCheckValue(f *testing.F) {
	for _, seed := range []struct{ typ, value string }{
		{"A", "192.0.2.1"}, {"AAAA", "2001:db8::1"}, {"TXT", `"a b" "c\"d"`}, {"TXT", `"unterminated`},
		{"MX", "10 mail.example.test."}, {"CNAME", "a..b"}, {"SRV", "1 2 443 host.example.test."},
		{"CAA", `0 issue "amazon.com"`}, {"SOA", "ns. host. 1 2 3 4 5"}, {"TXT", `"\065\066"`},
	} {
		f.Add(seed.typ, seed.value)
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		if checkValue(typ, value) != "" {
			return
		}
		if _, err := parseRR("fuzz.example.test.", 60, typ, value); err != nil {
			t.Fatalf("accepted %s %q but it does not parse: %v", typ, value, err)
		}
	})
}

// TestApplyUndoes proves a batch whose later write loses a CAS race leaves the
// store as it was.
func TestApplyUndoes(t *testing.T) {
	ctx := context.Background()
	s, st := newOps(t)
	if _, err := st.Put(ctx, "recordset/Z/b", []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	writes := []write{
		{key: "recordset/Z/a", val: &model.RecordSet{Name: "a."}},
		{key: "recordset/Z/b", val: &model.RecordSet{Name: "b."}}, // planned as new: conflicts
	}
	if _, err := s.apply(ctx, writes); err != store.ErrConflict {
		t.Fatalf("apply: got %v, want %v", err, store.ErrConflict)
	}
	if _, err := st.Get(ctx, "recordset/Z/a"); err != store.ErrNotFound {
		t.Errorf("first write not undone: Get got %v, want %v", err, store.ErrNotFound)
	}
}
