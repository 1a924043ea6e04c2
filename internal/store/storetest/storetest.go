// Package storetest is the conformance suite every store backend must pass:
// put/get/list/delete, compare-and-swap, revision order, watch delivering every
// change exactly once in order, and multi-key transactions (Txn).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Run runs the suite. open returns a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("PutGetListDelete", func(t *testing.T) { testCRUD(t, open(t)) })
	t.Run("CompareAndSwap", func(t *testing.T) { testCAS(t, open(t)) })
	t.Run("WatchDeliversEveryChangeOnceInOrder", func(t *testing.T) { testWatch(t, open(t)) })
	t.Run("WatchReplaysAfterRevision", func(t *testing.T) { testWatchReplay(t, open(t)) })
	t.Run("UpdateLosesNoConcurrentChange", func(t *testing.T) { testUpdate(t, open(t)) })
	t.Run("ListThenWatchUnderWritesSeesEachChangeOnce", func(t *testing.T) { testListThenWatch(t, open(t)) })
	t.Run("CloseEndsWatch", func(t *testing.T) { testCloseEndsWatch(t, open(t)) })
	t.Run("ValueOverLimitIsRefused", func(t *testing.T) { testValueLimit(t, open(t)) })
	t.Run("TxnIsAllOrNothing", func(t *testing.T) { testTxnAllOrNothing(t, open(t)) })
	t.Run("TxnWritesAtOneRevision", func(t *testing.T) { testTxnOneRevision(t, open(t)) })
	t.Run("TxnWatchSeesOpsInOrder", func(t *testing.T) { testTxnWatchOrder(t, open(t)) })
	t.Run("TxnParentChildRaceHasOneWinner", func(t *testing.T) { testTxnParentChildRace(t, open(t)) })
	t.Run("TxnLimits", func(t *testing.T) { testTxnLimits(t, open(t)) })
	t.Run("TxnDelPrefixRemovesAllChildrenAtOnce", func(t *testing.T) { testDelPrefix(t, open(t)) })
}

// testListThenWatch is how live.Watch uses a store: List, then Watch from the
// listing's revision, while writers run. Every key must arrive exactly once,
// counting the listing and the watch together.
func testListThenWatch(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if _, err := s.Put(ctx, fmt.Sprintf("lw/%03d", i), []byte("x"), 0); err != nil {
				t.Errorf("Put: %v", err)
				return
			}
		}
	}()
	seen := map[string]int{}
	kvs, rev, err := s.List(ctx, "lw/")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		seen[kv.Key]++
	}
	ch, err := s.Watch(ctx, "lw/", rev)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	timeout := time.After(10 * time.Second)
	for len(seen) < n {
		select {
		case e := <-ch:
			seen[e.Key]++
		case <-timeout:
			t.Fatalf("saw %d of %d keys", len(seen), n)
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("%s seen %d times (listing and watch together)", k, c)
		}
	}
}

func testCloseEndsWatch(t *testing.T, s store.Store) {
	ch, err := s.Watch(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	select {
	case _, ok := <-ch:
		if ok {
			for range ch {
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch channel still open 5s after Close")
	}
}

func testCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "a/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: got %v, want ErrNotFound", err)
	}
	r1 := mustPut(t, s, "a/1", "one", 0)
	r2 := mustPut(t, s, "a/2", "two", 0)
	mustPut(t, s, "b/1", "other", 0)
	if r2 <= r1 {
		t.Fatalf("revisions not increasing: %d then %d", r1, r2)
	}
	kv, err := s.Get(ctx, "a/1")
	if err != nil || string(kv.Value) != "one" || kv.ModRev != r1 {
		t.Fatalf("Get a/1: got %+v, %v; want one at rev %d", kv, err, r1)
	}
	kvs, rev, err := s.List(ctx, "a/")
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != 2 || kvs[0].Key != "a/1" || kvs[1].Key != "a/2" {
		t.Fatalf("List a/: got %v, want a/1, a/2", keys(kvs))
	}
	if rev < r2 {
		t.Fatalf("List revision %d older than last write %d", rev, r2)
	}
	if _, err := s.Delete(ctx, "a/1", store.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "a/1", store.Any); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete twice: got %v, want ErrNotFound", err)
	}
	kvs, _, _ = s.List(ctx, "a/")
	if len(kvs) != 1 || kvs[0].Key != "a/2" {
		t.Fatalf("List after delete: got %v, want a/2", keys(kvs))
	}
}

func testCAS(t *testing.T, s store.Store) {
	ctx := context.Background()
	r1 := mustPut(t, s, "k", "v1", 0)
	if _, err := s.Put(ctx, "k", []byte("again"), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("create existing: got %v, want ErrConflict", err)
	}
	r2 := mustPut(t, s, "k", "v2", r1)
	if _, err := s.Put(ctx, "k", []byte("stale"), r1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("put with stale revision: got %v, want ErrConflict", err)
	}
	if _, err := s.Delete(ctx, "k", r1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with stale revision: got %v, want ErrConflict", err)
	}
	if _, err := s.Delete(ctx, "k", r2); err != nil {
		t.Fatalf("delete with current revision: %v", err)
	}
}

func testWatch(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, rev, _ := s.List(ctx, "")
	ch, err := s.Watch(ctx, "w/", rev)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n / 4 {
				for _, k := range []string{fmt.Sprintf("w/%d/%d", w, i), fmt.Sprintf("other/%d/%d", w, i)} {
					if _, err := s.Put(ctx, k, []byte("x"), 0); err != nil {
						t.Errorf("Put %s: %v", k, err) // not Fatal: this is not the test goroutine
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	mustPut(t, s, "w/last", "x", 0)
	if _, err := s.Delete(ctx, "w/last", store.Any); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var last int64
	timeout := time.After(10 * time.Second)
	for got := 0; got < n+2; got++ {
		select {
		case e := <-ch:
			if e.Rev <= last {
				t.Fatalf("event %s at rev %d after rev %d: out of order", e.Key, e.Rev, last)
			}
			last = e.Rev
			if e.Key[:2] != "w/" {
				t.Fatalf("event for %s outside the watched prefix", e.Key)
			}
			k := e.Key
			if e.Delete {
				k += " (delete)"
			}
			seen[k]++
		case <-timeout:
			t.Fatalf("got %d of %d events", got, n+2)
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("event %s delivered %d times", k, c)
		}
	}
	if seen["w/last (delete)"] != 1 {
		t.Fatal("delete event not delivered")
	}
	select {
	case e := <-ch:
		t.Fatalf("extra event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func testWatchReplay(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r1 := mustPut(t, s, "r/1", "a", 0)
	mustPut(t, s, "r/2", "b", 0)
	ch, err := s.Watch(ctx, "r/", r1)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		if e.Key != "r/2" {
			t.Fatalf("replay: got %s, want r/2 (the change after rev %d)", e.Key, r1)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("replayed event not delivered")
	}
	cancel()
	for range ch { // the channel closes when ctx ends
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	type counter struct{ N int }
	if _, err := store.Save(ctx, s, "c", counter{}, 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := store.Update(ctx, s, "c", func(c *counter) error { c.N++; return nil }); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, _, err := store.Load[counter](ctx, s, "c")
	if err != nil || c.N != 200 {
		t.Fatalf("counter after 200 concurrent increments: got %+v, %v", c, err)
	}
}

func mustPut(t *testing.T, s store.Store, key, val string, expect int64) int64 {
	t.Helper()
	rev, err := s.Put(context.Background(), key, []byte(val), expect)
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	return rev
}

func keys(kvs []store.KV) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

// testValueLimit: a value of store.MaxValueBytes is kept; one byte more is
// refused with ErrTooLarge, as a *model.Error the AWS API answers 413 (with a
// message that does not echo the value), and the key keeps its old value.
func testValueLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	atLimit := bytes.Repeat([]byte("a"), store.MaxValueBytes)
	rev := mustPut(t, s, "big", string(atLimit), 0)
	_, err := s.Put(ctx, "big", append(atLimit, 'b'), store.Any)
	if !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("put of %d bytes: got %v, want ErrTooLarge", store.MaxValueBytes+1, err)
	}
	var ae *model.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge || ae.Code != "RequestEntityTooLarge" {
		t.Fatalf("put of %d bytes: got %#v, want a 413 RequestEntityTooLarge *model.Error", store.MaxValueBytes+1, err)
	}
	if len(ae.Message) > 300 {
		t.Errorf("message is %d bytes, want a short one: %.300q", len(ae.Message), ae.Message)
	}
	kv, err := s.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if kv.ModRev != rev || !bytes.Equal(kv.Value, atLimit) {
		t.Errorf("after the refused put: got rev %d, %d bytes, want rev %d, %d bytes", kv.ModRev, len(kv.Value), rev, len(atLimit))
	}
}

// testTxnAllOrNothing: a Txn whose conditions do not all hold writes nothing
// (no key, no revision), and one whose conditions hold writes everything.
func testTxnAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	ra := mustPut(t, s, "t/a", "a1", 0)
	rb := mustPut(t, s, "t/b", "b1", 0)
	mustPut(t, s, "t/kids/1", "k", 0)
	_, before, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ops := []store.Op{store.Put("t/a", []byte("a2")), store.Del("t/b"), store.Put("t/c", []byte("c1"))}
	failing := []struct {
		name  string
		conds []store.Cond
	}{
		{name: "stale revision of one key", conds: []store.Cond{store.KeyIs("t/a", ra), store.KeyIs("t/b", ra)}},
		{name: "key that must not exist exists", conds: []store.Cond{store.KeyIs("t/a", ra), store.KeyIs("t/b", 0)}},
		{name: "key that must exist is missing", conds: []store.Cond{store.KeyIs("t/a", ra), store.KeyIs("t/missing", rb)}},
		{name: "key changed under the prefix since", conds: []store.Cond{store.KeyIs("t/a", ra), store.NoneAfter("t/kids/", rb)}},
	}
	for _, tc := range failing {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Txn(ctx, tc.conds, ops); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Txn: got %v, want ErrConflict", err)
			}
			kvs, rev, err := s.List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(dump(kvs)), "[t/a=a1 t/b=b1 t/kids/1=k]"; got != want {
				t.Errorf("after the refused Txn: got %s, want %s", got, want)
			}
			if rev != before {
				t.Errorf("store revision after the refused Txn: got %d, want %d", rev, before)
			}
		})
	}
	kids := mustPut(t, s, "t/kids/2", "k", 0)
	conds := []store.Cond{store.KeyIs("t/a", ra), store.KeyIs("t/b", rb), store.KeyIs("t/c", 0), store.NoneAfter("t/kids/", kids), store.NoneAfter("t/none/", 0)}
	if _, err := s.Txn(ctx, conds, ops); err != nil {
		t.Fatalf("Txn whose conditions hold: %v", err)
	}
	kvs, _, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(dump(kvs)), "[t/a=a2 t/c=c1 t/kids/1=k t/kids/2=k]"; got != want {
		t.Errorf("after the Txn: got %s, want %s", got, want)
	}
}

// testTxnOneRevision: every op of a Txn takes the Txn's one new revision, the
// store's revision after it; deleting a missing key is a no-op, not an error.
func testTxnOneRevision(t *testing.T, s store.Store) {
	ctx := context.Background()
	prev := mustPut(t, s, "o/gone", "x", 0)
	rev, err := s.Txn(ctx, nil, []store.Op{
		store.Put("o/1", []byte("1")), store.Put("o/2", []byte("2")), store.Del("o/gone"), store.Del("o/never"),
	})
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	if rev <= prev {
		t.Fatalf("Txn revision: got %d, want more than the previous write's %d", rev, prev)
	}
	for _, k := range []string{"o/1", "o/2"} {
		kv, err := s.Get(ctx, k)
		if err != nil || kv.ModRev != rev {
			t.Errorf("Get %s: got rev %d, %v; want rev %d", k, kv.ModRev, err, rev)
		}
	}
	if _, err := s.Get(ctx, "o/gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get o/gone after its delete: got %v, want ErrNotFound", err)
	}
	if _, listed, err := s.List(ctx, "o/"); err != nil || listed != rev {
		t.Errorf("List revision after the Txn: got %d, %v; want %d", listed, err, rev)
	}
}

// testTxnWatchOrder: a watcher sees a Txn's ops as events of one revision, in
// op order, and nothing for the delete of a missing key.
func testTxnWatchOrder(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mustPut(t, s, "wo/c", "c", 0)
	_, from, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.Watch(ctx, "wo/", from)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := s.Txn(ctx, nil, []store.Op{
		store.Put("wo/b", []byte("b")), store.Del("wo/missing"), store.Put("wo/a", []byte("a")), store.Del("wo/c"),
	})
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	// A later write ends the sequence, so a stray event shows without waiting.
	last := mustPut(t, s, "wo/z", "z", 0)
	want := []string{fmt.Sprintf("put wo/b=b @%d", rev), fmt.Sprintf("put wo/a=a @%d", rev), fmt.Sprintf("delete wo/c @%d", rev), fmt.Sprintf("put wo/z=z @%d", last)}
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("watch closed after %q", got)
			}
			if e.Delete {
				got = append(got, fmt.Sprintf("delete %s @%d", e.Key, e.Rev))
			} else {
				got = append(got, fmt.Sprintf("put %s=%s @%d", e.Key, e.Value, e.Rev))
			}
		case <-timeout:
			t.Fatalf("got events %q, want %q", got, want)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got events %q, want %q", got, want)
	}
}

// testTxnParentChildRace is the race the mechanism exists for: one side
// creates a child, conditioned on its parent as it read it; the other deletes
// the parent, conditioned on no child under it since it listed them. Exactly
// one wins: a child never outlives its parent. The two orders run one after
// the other first, so each outcome is seen on every backend, then the two
// sides race in goroutines, round after round.
func testTxnParentChildRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	const (
		bothExist   = "child and parent exist"
		parentGone  = "parent deleted and no child"
		racedRounds = 25
	)
	round := 0
	// attempt runs one round; run calls the two sides (each at most once, in
	// any order or concurrently) and returns when both returned.
	attempt := func(run func(create, remove func())) string {
		t.Helper()
		round++
		parent := fmt.Sprintf("race/%d", round)
		children := parent + "/children/"
		child := children + "c"
		parentRev := mustPut(t, s, parent, "p", 0)
		_, listed, err := s.List(ctx, children)
		if err != nil {
			t.Fatal(err)
		}
		var createErr, deleteErr error
		run(func() {
			_, createErr = s.Txn(ctx, []store.Cond{store.KeyIs(parent, parentRev)}, []store.Op{store.Put(child, []byte("c"))})
		}, func() {
			_, deleteErr = s.Txn(ctx, []store.Cond{store.KeyIs(parent, parentRev), store.NoneAfter(children, listed)}, []store.Op{store.Del(parent)})
		})
		for _, err := range []error{createErr, deleteErr} {
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("round %d: got %v, want success or ErrConflict", round, err)
			}
		}
		_, perr := s.Get(ctx, parent)
		_, cerr := s.Get(ctx, child)
		switch {
		case perr == nil && cerr == nil && createErr == nil && deleteErr != nil:
			return bothExist
		case errors.Is(perr, store.ErrNotFound) && errors.Is(cerr, store.ErrNotFound) && deleteErr == nil && createErr != nil:
			return parentGone
		}
		t.Fatalf("round %d: parent: %v, child: %v (create: %v, delete: %v); want exactly one of the two to succeed", round, perr, cerr, createErr, deleteErr)
		return ""
	}

	ordered := []struct {
		name string
		run  func(create, remove func())
		want string
	}{
		{name: "child created first", run: func(create, remove func()) { create(); remove() }, want: bothExist},
		{name: "parent deleted first", run: func(create, remove func()) { remove(); create() }, want: parentGone},
	}
	for _, tc := range ordered {
		if got := attempt(tc.run); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	outcomes := map[string]int{}
	for i := range racedRounds {
		got := attempt(func(create, remove func()) {
			sides := []func(){create, remove}
			if i%2 == 1 {
				sides[0], sides[1] = remove, create // alternate who starts first
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, side := range sides {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					side()
				}()
			}
			close(start)
			wg.Wait()
		})
		outcomes[got]++
	}
	t.Logf("outcomes over %d raced rounds: %v", racedRounds, outcomes)
}

// testTxnLimits: a Txn is refused whole, as ErrTooLarge, when one value is
// over MaxValueBytes or all of them together are; as ErrInvalidTxn when it is
// malformed; and MaxTxnOps ops fit on every backend.
func testTxnLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	half := bytes.Repeat([]byte("h"), store.MaxValueBytes/2+1)
	tests := []struct {
		name  string
		conds []store.Cond
		ops   []store.Op
		want  error
	}{
		{name: "one value over the limit", ops: []store.Op{store.Put("l/small", []byte("s")), store.Put("l/big", bytes.Repeat([]byte("b"), store.MaxValueBytes+1))}, want: store.ErrTooLarge},
		{name: "values together over the limit", ops: []store.Op{store.Put("l/1", half), store.Put("l/2", half)}, want: store.ErrTooLarge},
		{name: "no ops", conds: []store.Cond{store.KeyIs("l/x", 0)}, want: store.ErrInvalidTxn},
		{name: "too many ops", ops: manyPuts("l/many/", store.MaxTxnOps+1), want: store.ErrInvalidTxn},
		{name: "a key written twice", ops: []store.Op{store.Put("l/dup", []byte("1")), store.Del("l/dup")}, want: store.ErrInvalidTxn},
		{name: "condition with a key and a prefix", conds: []store.Cond{{Key: "l/k", Prefix: "l/"}}, ops: []store.Op{store.Put("l/k", nil)}, want: store.ErrInvalidTxn},
		{name: "condition with neither", conds: []store.Cond{{}}, ops: []store.Op{store.Put("l/k", nil)}, want: store.ErrInvalidTxn},
		{name: "a put under a deleted prefix", ops: []store.Op{store.DelPrefix("l/p/"), store.Put("l/p/x", nil)}, want: store.ErrInvalidTxn},
		{name: "two overlapping prefix deletes", ops: []store.Op{store.DelPrefix("l/p/"), store.DelPrefix("l/p/q/")}, want: store.ErrInvalidTxn},
		{name: "a prefix op that is not a delete", ops: []store.Op{{Key: "l/p/", Value: []byte("v"), Prefix: true}}, want: store.ErrInvalidTxn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Txn(ctx, tc.conds, tc.ops); !errors.Is(err, tc.want) {
				t.Fatalf("Txn: got %v, want %v", err, tc.want)
			}
			if kvs, _, err := s.List(ctx, "l/"); err != nil || len(kvs) != 0 {
				t.Fatalf("after the refused Txn: got keys %v, %v; want none", keys(kvs), err)
			}
		})
	}
	rev, err := s.Txn(ctx, nil, manyPuts("l/many/", store.MaxTxnOps))
	if err != nil {
		t.Fatalf("Txn of MaxTxnOps (%d) ops: %v", store.MaxTxnOps, err)
	}
	kvs, _, err := s.List(ctx, "l/many/")
	if err != nil || len(kvs) != store.MaxTxnOps || kvs[0].ModRev != rev {
		t.Fatalf("after a Txn of %d puts: got %d keys, %v; want %d at rev %d", store.MaxTxnOps, len(kvs), err, store.MaxTxnOps, rev)
	}
}

// testDelPrefix deletes a parent and more children than one Txn may name, in
// one Txn at one revision: every key under the prefix goes, its neighbours
// (a sibling whose name only starts alike) stay, and a watcher sees one delete
// per key at that revision.
func testDelPrefix(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	children := store.MaxTxnOps + 50
	for i := 0; i < children; i += 100 {
		if _, err := s.Txn(ctx, nil, manyPuts(fmt.Sprintf("dp/api1/%03d-", i/100), min(100, children-i))); err != nil {
			t.Fatal(err)
		}
	}
	mustPut(t, s, "dp/api1", "parent", 0)
	mustPut(t, s, "dp/api10/x", "neighbour", 0)
	_, from, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.Watch(ctx, "dp/", from)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := s.Txn(ctx, nil, []store.Op{store.Del("dp/api1"), store.DelPrefix("dp/api1/"), store.DelPrefix("dp/none/")})
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	kvs, _, err := s.List(ctx, "dp/")
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(kvs); fmt.Sprint(got) != "[dp/api10/x=neighbour]" {
		t.Fatalf("after deleting dp/api1 and its children: got %q, want only the neighbour", got)
	}
	deleted := 0
	timeout := time.After(10 * time.Second)
	for deleted < children+1 {
		select {
		case e := <-ch:
			if !e.Delete || e.Rev != rev || !strings.HasPrefix(e.Key, "dp/api1") || strings.HasPrefix(e.Key, "dp/api10") {
				t.Fatalf("got event %+v, want a delete under dp/api1 at rev %d", e, rev)
			}
			deleted++
		case <-timeout:
			t.Fatalf("got %d delete events, want %d", deleted, children+1)
		}
	}
}

func manyPuts(prefix string, n int) []store.Op {
	ops := make([]store.Op, n)
	for i := range ops {
		ops[i] = store.Put(fmt.Sprintf("%s%03d", prefix, i), []byte("v"))
	}
	return ops
}

func dump(kvs []store.KV) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Key+"="+string(kv.Value))
	}
	return out
}
