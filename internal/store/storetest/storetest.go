// Package storetest is the conformance suite every store backend must pass:
// put/get/list/delete, compare-and-swap, revision order, and watch delivering every
// change exactly once in order.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
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
