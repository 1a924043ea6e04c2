package nameserver

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Test fixtures: names AWS would give the resources, addresses from the
// loopback range this package's tests own (127.0.10.0/24) or documentation ranges.
const (
	gaARN   = "arn:aws:globalaccelerator::000000000000:accelerator/1234"
	gaName  = "a1234567890abcdef.awsglobalaccelerator.com"
	lbARN   = "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/edge/1234"
	lbName  = "edge-1234567890.us-west-2.elb.amazonaws.com"
	vpceID  = "vpce-0123456789abcdef0"
	vpceDNS = "vpce-0123456789abcdef0-abcdefgh.execute-api.us-west-2.vpce.amazonaws.com"
)

// harness is a running nameserver on the mem store, kept current by live.Watch.
type harness struct {
	t   *testing.T
	svc *Service
	st  store.Store
	ctx context.Context
}

func start(t *testing.T) *harness {
	t.Helper()
	return startOn(t, store.NewMem())
}

// startOn is start on a given store (closed when the test ends); with, if
// given, changes the service's Deps first.
func startOn(t *testing.T, st store.Store, with ...func(*Deps)) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatalf("live.Load: %v", err)
	}
	feed := live.NewFeed(snap)
	deps := Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv, Listen: "127.0.10.1:0"}
	for _, f := range with {
		f(&deps)
	}
	svc := New(deps)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := live.Watch(ctx, st, feed, log); err != nil && ctx.Err() == nil {
			t.Errorf("live.Watch: %v", err)
		}
	})
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- svc.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
		st.Close()
	})
	select {
	case <-svc.Ready():
	case err := <-runErr:
		t.Fatalf("Run: %v", err)
	}
	return &harness{t: t, svc: svc, st: st, ctx: ctx}
}

// put writes a resource straight to the store (as another service would) and
// waits until the DNS table reflects it.
func (h *harness) put(key string, v any) {
	h.t.Helper()
	rev, err := store.Save(h.ctx, h.st, key, v, store.Any)
	if err != nil {
		h.t.Fatalf("save %s: %v", key, err)
	}
	h.sync(rev)
}

func (h *harness) sync(rev int64) {
	h.t.Helper()
	if !h.svc.waitServed(h.ctx, rev) {
		h.t.Fatalf("table did not reach rev %d (at %d)", rev, h.svc.tab.Rev())
	}
}

func (h *harness) zone(name string) *model.HostedZone {
	h.t.Helper()
	z, _, err := h.svc.CreateHostedZone(h.ctx, name, "ref-"+name+"-"+model.RandomHex(6), "")
	if err != nil {
		h.t.Fatalf("CreateHostedZone(%s): %v", name, err)
	}
	return z
}

func (h *harness) change(zoneID string, changes ...Change) {
	h.t.Helper()
	info, err := h.svc.ChangeRecordSets(h.ctx, zoneID, changes)
	if err != nil {
		h.t.Fatalf("ChangeRecordSets: %v", err)
	}
	if info.Status != ChangeInsync {
		h.t.Fatalf("change status: got %s, want %s", info.Status, ChangeInsync)
	}
}

func create(name, typ string, ttl int64, values ...string) Change {
	return Change{Action: "CREATE", Set: model.RecordSet{Name: name, Type: typ, TTL: ttl, Records: values}}
}

func alias(name, typ, zoneID, target string) Change {
	return Change{Action: "CREATE", Set: model.RecordSet{Name: name, Type: typ,
		Alias: &model.AliasTarget{HostedZoneID: zoneID, DNSName: target}}}
}

// query asks the harness's server over proto ("udp" or "tcp").
func (h *harness) query(proto, name string, qtype uint16, edns uint16) *dns.Msg {
	h.t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	if edns > 0 {
		m.SetEdns0(edns, false)
	}
	return h.exchange(proto, m)
}

func (h *harness) exchange(proto string, m *dns.Msg) *dns.Msg {
	h.t.Helper()
	c := &dns.Client{Net: proto, Timeout: 5 * time.Second, UDPSize: 65535}
	resp, _, err := c.Exchange(m, h.svc.Addr())
	if err != nil {
		h.t.Fatalf("%s query %v: %v", proto, m.Question, err)
	}
	if resp == nil {
		h.t.Fatalf("%s query %v: no response", proto, m.Question)
	}
	return resp
}

// rrs renders records as "name type rdata", sorted, for comparison.
func rrs(list []dns.RR) []string {
	var out []string
	for _, rr := range list {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		rdata := strings.TrimPrefix(rr.String(), rr.Header().String())
		out = append(out, fmt.Sprintf("%s %s %s", rr.Header().Name, dns.TypeToString[rr.Header().Rrtype], rdata))
	}
	slices.Sort(out)
	return out
}

func newFeed(t *testing.T) *live.Feed {
	t.Helper()
	return live.NewFeed(model.EmptySnapshot())
}
