package nameserver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// pauseStore is a store that runs a hook after each successful write, so a test
// can stop a batch between two of its writes and look at what the DNS server
// answers in that state.
type pauseStore struct {
	store.Store
	mu    sync.Mutex
	after func(rev int64)
}

func (s *pauseStore) setAfter(f func(rev int64)) {
	s.mu.Lock()
	s.after = f
	s.mu.Unlock()
}

func (s *pauseStore) wrote(rev int64) {
	s.mu.Lock()
	f := s.after
	s.mu.Unlock()
	if f != nil {
		f(rev)
	}
}

func (s *pauseStore) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	rev, err := s.Store.Put(ctx, key, value, expect)
	if err == nil {
		s.wrote(rev)
	}
	return rev, err
}

func (s *pauseStore) Delete(ctx context.Context, key string, expect int64) (int64, error) {
	rev, err := s.Store.Delete(ctx, key, expect)
	if err == nil {
		s.wrote(rev)
	}
	return rev, err
}

// Txn is hooked too: each write of a batch is one Txn (see guard).
func (s *pauseStore) Txn(ctx context.Context, conds []store.Cond, ops []store.Op) (int64, error) {
	rev, err := s.Store.Txn(ctx, conds, ops)
	if err == nil {
		s.wrote(rev)
	}
	return rev, err
}

// TestBatchNeverHidesName proves a batch that replaces the records of a name
// never lets the DNS server answer NXDOMAIN for it: not in the state after each
// single write of the batch (the hook holds the batch there until the server
// serves that revision, then asks), and not to a client querying throughout.
func TestBatchNeverHidesName(t *testing.T) {
	tests := []struct {
		name   string
		before []Change // besides api.swap.test A
		batch  func(z string) []Change
		qtype  uint16
	}{
		{name: "A replaced by a CNAME", qtype: dns.TypeA,
			before: []Change{create("www.swap.test", "A", 300, "192.0.2.1")},
			batch: func(string) []Change {
				return []Change{
					{Action: "DELETE", Set: model.RecordSet{Name: "www.swap.test", Type: "A", TTL: 300, Records: []string{"192.0.2.1"}}},
					create("www.swap.test", "CNAME", 300, "api.swap.test"),
				}
			}},
		{name: "CNAME replaced by an A", qtype: dns.TypeA,
			before: []Change{create("www.swap.test", "CNAME", 300, "api.swap.test")},
			batch: func(string) []Change {
				return []Change{
					{Action: "DELETE", Set: model.RecordSet{Name: "www.swap.test", Type: "CNAME", TTL: 300, Records: []string{"api.swap.test."}}},
					create("www.swap.test", "A", 300, "192.0.2.1"),
				}
			}},
		{name: "TXT replaced by an alias A", qtype: dns.TypeA,
			before: []Change{create("www.swap.test", "TXT", 300, `"x"`)},
			batch: func(z string) []Change {
				return []Change{
					{Action: "DELETE", Set: model.RecordSet{Name: "www.swap.test", Type: "TXT", TTL: 300, Records: []string{`"x"`}}},
					alias("www.swap.test", "A", z, "api.swap.test"),
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := &pauseStore{Store: store.NewMem()}
			h := startOn(t, ps)
			z := h.zone("swap.test")
			h.change(z.ID, append([]Change{create("api.swap.test", "A", 300, "192.0.2.2")}, tc.before...)...)

			ask := func() (*dns.Msg, error) {
				m := new(dns.Msg)
				m.SetQuestion("www.swap.test.", tc.qtype)
				c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
				resp, _, err := c.Exchange(m, h.svc.Addr())
				return resp, err
			}
			check := func(when string, resp *dns.Msg, err error) bool {
				switch {
				case err != nil:
					t.Errorf("%s: query: %v", when, err)
				case resp.Rcode != dns.RcodeSuccess:
					t.Errorf("%s: rcode: got %s, want NOERROR", when, dns.RcodeToString[resp.Rcode])
				default:
					return true
				}
				return false
			}

			paused := 0
			ps.setAfter(func(rev int64) {
				paused++
				if !h.svc.waitServed(h.ctx, rev) {
					t.Errorf("table did not reach rev %d", rev)
					return
				}
				resp, err := ask()
				check("at a write of the batch", resp, err)
			})
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				// Until the batch returns, then a few more queries: bounded.
				for extra := 0; extra < 3; {
					select {
					case <-done:
						extra++
					default:
					}
					if resp, err := ask(); !check("while the batch runs", resp, err) {
						return // one report is enough
					}
				}
			})
			_, err := h.svc.ChangeRecordSets(h.ctx, z.ID, tc.batch(z.ID))
			ps.setAfter(nil)
			close(done)
			wg.Wait()
			if err != nil {
				t.Fatalf("ChangeRecordSets: %v", err)
			}
			if paused != 2 {
				t.Errorf("writes of the batch: got %d, want 2", paused)
			}
			resp, err := ask()
			check("after the batch", resp, err)
			if err == nil && len(resp.Answer) == 0 {
				t.Errorf("after the batch: got no answer, want the new records")
			}
		})
	}
}

// TestBatchUndoKeepsOldRecords proves that when the delete of a batch (written
// after its puts) loses a CAS race, the puts already written are undone.
func TestBatchUndoKeepsOldRecords(t *testing.T) {
	ctx := context.Background()
	s, st := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "undo.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeRecordSets(ctx, z.ID, []Change{create("www.undo.test", "A", 60, "192.0.2.1"),
		create("api.undo.test", "A", 60, "192.0.2.2")}); err != nil {
		t.Fatal(err)
	}
	current, err := s.loadSets(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	writes, merr := plan(z, current, []Change{
		{Action: "DELETE", Set: model.RecordSet{Name: "www.undo.test", Type: "A", TTL: 60, Records: []string{"192.0.2.1"}}},
		create("www.undo.test", "CNAME", 60, "api.undo.test"),
	})
	if merr != nil {
		t.Fatal(merr)
	}
	if len(writes) != 2 || writes[0].val == nil || writes[1].val != nil {
		t.Fatalf("plan: got %d writes %+v, want the put, then the delete", len(writes), writes)
	}
	// Another writer touches www A between our read and our write.
	aKey := writes[1].key
	kv, err := st.Get(ctx, aKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, aKey, kv.Value, kv.ModRev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.apply(ctx, writes); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("apply: got %v, want %v", err, store.ErrConflict)
	}
	if _, err := st.Get(ctx, writes[0].key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CNAME put not undone: Get got %v, want %v", err, store.ErrNotFound)
	}
	if _, err := st.Get(ctx, aKey); err != nil {
		t.Errorf("A record: Get got %v, want it kept", err)
	}
}
