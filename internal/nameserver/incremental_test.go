package nameserver

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
)

// TestOneChangeRecompilesItsZone changes one zone among several, over the
// real server (the UDP fast path and miekg/dns), and checks that each change
// is answered at once and every other zone keeps its answers. Then, on the
// compiled tables, that the zones a change did not touch were kept, not
// compiled again.
func TestOneChangeRecompilesItsZone(t *testing.T) {
	h := start(t)
	var zones []*model.HostedZone
	for i := range 4 {
		z := h.zone(fmt.Sprintf("zone%d.test", i))
		h.change(z.ID, create(fmt.Sprintf("www.zone%d.test", i), "A", 300, fmt.Sprintf("192.0.2.%d", i+1)))
		zones = append(zones, z)
	}
	ask := func(proto, name string) []string {
		t.Helper()
		return rrs(h.query(proto, name, dns.TypeA, 0).Answer)
	}
	// Fill the wire answers of every zone before the changes, a name the
	// sub-zone below will take (NXDOMAIN in zone3 now) included.
	for i := range zones {
		ask("udp", fmt.Sprintf("www.zone%d.test.", i))
	}
	if m := h.query("udp", "www.sub.zone3.test.", dns.TypeA, 0); m.Rcode != dns.RcodeNameError {
		t.Fatalf("www.sub.zone3.test. A before its zone: got %s, want NXDOMAIN", dns.RcodeToString[m.Rcode])
	}
	want := func(t *testing.T, name string, values ...string) {
		t.Helper()
		var w []string
		for _, v := range values {
			w = append(w, name+" A "+v)
		}
		for _, proto := range []string{"udp", "tcp"} {
			if got := ask(proto, name); !slicesEqual(got, w) {
				t.Errorf("%s %s A: got %q, want %q", proto, name, got, w)
			}
		}
	}

	tests := []struct {
		name   string
		change func()
		checks func(t *testing.T)
	}{
		{"upsert in one zone", func() {
			h.change(zones[1].ID, Change{Action: "UPSERT", Set: model.RecordSet{Name: "www.zone1.test", Type: "A", TTL: 300, Records: []string{"192.0.2.99"}}})
		}, func(t *testing.T) {
			want(t, "www.zone1.test.", "192.0.2.99")
			want(t, "www.zone0.test.", "192.0.2.1")
			want(t, "www.zone2.test.", "192.0.2.3")
		}},
		{"a record set added to another zone", func() {
			h.change(zones[2].ID, create("api.zone2.test", "A", 60, "198.51.100.7"))
		}, func(t *testing.T) {
			want(t, "api.zone2.test.", "198.51.100.7")
			want(t, "www.zone2.test.", "192.0.2.3")
			want(t, "www.zone1.test.", "192.0.2.99")
		}},
		{"a sub-zone takes names from its parent", func() {
			sub := h.zone("sub.zone3.test")
			h.change(sub.ID, create("www.sub.zone3.test", "A", 60, "203.0.113.5"))
		}, func(t *testing.T) {
			want(t, "www.sub.zone3.test.", "203.0.113.5")
			want(t, "www.zone3.test.", "192.0.2.4")
		}},
		{"a change outside DNS", func() {
			h.put(model.Key(model.KindRestAPI, "a1b2c3d4e5"), model.RestAPI{ID: "a1b2c3d4e5", Name: "unrelated"})
		}, func(t *testing.T) {
			want(t, "www.zone0.test.", "192.0.2.1")
			want(t, "www.zone1.test.", "192.0.2.99")
		}},
		{"a record set deleted", func() {
			h.change(zones[0].ID, Change{Action: "DELETE", Set: model.RecordSet{Name: "www.zone0.test", Type: "A", TTL: 300, Records: []string{"192.0.2.1"}}})
		}, func(t *testing.T) {
			for _, proto := range []string{"udp", "tcp"} {
				if m := h.query(proto, "www.zone0.test.", dns.TypeA, 0); m.Rcode != dns.RcodeNameError {
					t.Errorf("%s www.zone0.test. A after the delete: got %s, want NXDOMAIN", proto, dns.RcodeToString[m.Rcode])
				}
			}
			want(t, "www.zone1.test.", "192.0.2.99")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			tt.checks(t)
		})
	}
}

// TestCompileKeepsUnchangedZones holds the incremental compile to what it
// promises: a record change compiles its own zone and keeps the others (the
// same compiled zone, wire answers included); a change DNS does not read
// keeps the whole table; a change of the names AWS answers (a load
// balancer's nodes, which aliases resolve to) compiles every zone again.
func TestCompileKeepsUnchangedZones(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var changes []model.Change
	put := func(kind model.Kind, id string, v any) model.Change {
		return model.Change{Key: model.Key(kind, id), Value: mustJSON(v)}
	}
	for i := range 3 {
		zid, name := fmt.Sprintf("Z%d", i), fmt.Sprintf("zone%d.test.", i)
		changes = append(changes, put(model.KindHostedZone, zid, model.HostedZone{ID: zid, Name: name, CreatedAt: created}),
			put(model.KindRecordSet, model.RecordSetID(zid, "www."+name, "A"), model.RecordSet{ZoneID: zid, Name: "www." + name, Type: "A", TTL: 60, Records: []string{fmt.Sprintf("192.0.2.%d", i+1)}}))
	}
	changes = append(changes, put(model.KindRecordSet, model.RecordSetID("Z2", "edge.zone2.test.", "A"), model.RecordSet{ZoneID: "Z2", Name: "edge.zone2.test.", Type: "A",
		Alias: &model.AliasTarget{DNSName: lbName + "."}}),
		put(model.KindLoadBalancer, lbARN, model.LoadBalancer{ARN: lbARN, DNSName: lbName, Nodes: []model.LBNode{{IP: "127.0.10.50"}}}))
	snap, err := model.EmptySnapshot().With(1, changes)
	if err != nil {
		t.Fatal(err)
	}
	c := new(compiler)
	first, err := c.compile(snap)
	if err != nil {
		t.Fatal(err)
	}
	zoneOf := func(tb *table, i int) *zone { return tb.zones[fmt.Sprintf("zone%d.test.", i)] }

	tests := []struct {
		name      string
		change    model.Change
		sameTable bool
		recompile []int // the zones compiled again; the rest are kept
		check     func(t *testing.T, tb *table)
	}{
		{"a record in zone 1", put(model.KindRecordSet, model.RecordSetID("Z1", "www.zone1.test.", "A"),
			model.RecordSet{ZoneID: "Z1", Name: "www.zone1.test.", Type: "A", TTL: 60, Records: []string{"192.0.2.99"}}),
			false, []int{1}, func(t *testing.T, tb *table) {
				if got := answerA(tb, "www.zone1.test."); !slicesEqual(got, []string{"www.zone1.test. A 192.0.2.99"}) {
					t.Errorf("www.zone1.test. A: got %q, want 192.0.2.99", got)
				}
			}},
		{"a REST API", put(model.KindRestAPI, "a1b2c3d4e5", model.RestAPI{ID: "a1b2c3d4e5"}), true, nil, nil},
		{"a record set deleted in zone 0", model.Change{Key: model.Key(model.KindRecordSet, model.RecordSetID("Z0", "www.zone0.test.", "A")), Delete: true},
			false, []int{0}, func(t *testing.T, tb *table) {
				if got := answerA(tb, "www.zone0.test."); len(got) != 0 {
					t.Errorf("www.zone0.test. A after its delete: got %q, want none", got)
				}
			}},
		{"the load balancer's nodes", put(model.KindLoadBalancer, lbARN, model.LoadBalancer{ARN: lbARN, DNSName: lbName, Nodes: []model.LBNode{{IP: "127.0.10.51"}}}),
			false, []int{0, 1, 2}, func(t *testing.T, tb *table) {
				if got := answerA(tb, "edge.zone2.test."); !slicesEqual(got, []string{"edge.zone2.test. A 127.0.10.51"}) {
					t.Errorf("edge.zone2.test. A (alias to the load balancer): got %q, want 127.0.10.51", got)
				}
			}},
	}
	prev := first
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := snap.With(int64(i+2), []model.Change{tt.change})
			if err != nil {
				t.Fatal(err)
			}
			snap = next
			got, err := c.compile(snap)
			if err != nil {
				t.Fatal(err)
			}
			if (got == prev) != tt.sameTable {
				t.Errorf("the previous table kept: got %v, want %v", got == prev, tt.sameTable)
			}
			for z := range 3 {
				recompiled := zoneOf(got, z) != zoneOf(prev, z)
				want := false
				for _, r := range tt.recompile {
					want = want || r == z
				}
				if recompiled != want {
					t.Errorf("zone%d compiled again: got %v, want %v", z, recompiled, want)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			prev = got
		})
	}
}

// answerA answers name/A from tb as the server does.
func answerA(tb *table, name string) []string {
	req := new(dns.Msg)
	req.SetQuestion(name, dns.TypeA)
	return rrs(respond(tb, req, false).Answer)
}

// BenchmarkRecordChange is one UPSERT among 10,000 record sets in 20 zones,
// as the nameserver follows it: the snapshot takes the change, the table is
// compiled. "from scratch" compiles every zone (as before the compiler kept
// zones); "incremental" is the compiler the service runs.
func BenchmarkRecordChange(b *testing.B) {
	const zones, perZone = 20, 500
	var changes []model.Change
	for z := range zones {
		zid, apex := fmt.Sprintf("Z%02d", z), fmt.Sprintf("zone%02d.test.", z)
		changes = append(changes, model.Change{Key: model.Key(model.KindHostedZone, zid), Value: mustJSON(model.HostedZone{ID: zid, Name: apex})})
		for r := range perZone {
			name := fmt.Sprintf("host%03d.%s", r, apex)
			changes = append(changes, model.Change{Key: model.Key(model.KindRecordSet, model.RecordSetID(zid, name, "A")),
				Value: mustJSON(model.RecordSet{ZoneID: zid, Name: name, Type: "A", TTL: 60, Records: []string{fmt.Sprintf("10.%d.%d.%d", z, r/250, r%250)}})})
		}
	}
	base, err := model.EmptySnapshot().With(1, changes)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name    string
		compile func(*model.Snapshot) (*table, error)
	}{{"from scratch", compile}, {"incremental", new(compiler).compile}} {
		b.Run(bc.name, func(b *testing.B) {
			snap := base
			if _, err := bc.compile(snap); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			// The process's CPU time per change as well: the machine these
			// run on is shared, and wall time counts the waits.
			cpu := processCPU()
			defer func() { b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op") }()
			for i := 0; b.Loop(); i++ {
				name := "host007.zone03.test."
				change := model.Change{Key: model.Key(model.KindRecordSet, model.RecordSetID("Z03", name, "A")),
					Value: mustJSON(model.RecordSet{ZoneID: "Z03", Name: name, Type: "A", TTL: 60, Records: []string{fmt.Sprintf("192.0.2.%d", i%250)}})}
				next, err := snap.With(snap.Rev+1, []model.Change{change})
				if err != nil {
					b.Fatal(err)
				}
				snap = next
				if _, err := bc.compile(snap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
