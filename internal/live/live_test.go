package live_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func TestWatchBuildsSnapshots(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.NewMem()
	defer st.Close()
	if _, err := store.Save(ctx, st, model.Key(model.KindHostedZone, "Z1"), model.HostedZone{ID: "Z1", Name: "a.test."}, 0); err != nil {
		t.Fatal(err)
	}
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if snap.HostedZones["Z1"] == nil {
		t.Fatal("initial snapshot misses zone Z1")
	}
	feed := live.NewFeed(snap)
	go live.Watch(ctx, st, feed, slog.New(slog.NewTextHandler(io.Discard, nil)))

	rev, err := store.Save(ctx, st, model.Key(model.KindHostedZone, "Z2"), model.HostedZone{ID: "Z2", Name: "b.test."}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	next, err := feed.WaitFor(wctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if next.HostedZones["Z2"] == nil || next.HostedZones["Z1"] == nil {
		t.Fatalf("snapshot at rev %d: zones %v, want Z1 and Z2", next.Rev, next.HostedZones)
	}
	if snap.HostedZones["Z2"] != nil {
		t.Fatal("the old snapshot changed: snapshots must be immutable")
	}

	// A record that does not decode is left out; the rest still advances.
	if _, err := st.Put(ctx, model.Key(model.KindHostedZone, "bad"), []byte("{not json"), 0); err != nil {
		t.Fatal(err)
	}
	rev, _ = st.Delete(ctx, model.Key(model.KindHostedZone, "Z1"), store.Any)
	next, err = feed.WaitFor(wctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if next.HostedZones["Z1"] != nil || next.HostedZones["bad"] != nil || next.HostedZones["Z2"] == nil {
		t.Fatalf("after bad put and delete: zones %v, want only Z2", next.HostedZones)
	}
}

func TestTableKeepsOldTableOnCompileError(t *testing.T) {
	var tab live.Table[string]
	snap := model.EmptySnapshot()
	good := "v1"
	if err := tab.Compile(snap, func(*model.Snapshot) (*string, error) { return &good, nil }); err != nil {
		t.Fatal(err)
	}
	err := tab.Compile(snap, func(*model.Snapshot) (*string, error) { return nil, errors.New("bad config") })
	if err == nil {
		t.Fatal("compile error not reported")
	}
	if got := tab.Load(); got == nil || *got != "v1" {
		t.Fatalf("table after rejected compile: got %v, want v1", got)
	}
}

// TestWatchRecoversFromCompaction: a feed that fell behind the store's history
// starts again from a full listing and still ends at the newest revision.
func TestWatchRecoversFromCompaction(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.NewMem()
	defer st.Close()
	feed := live.NewFeed(model.EmptySnapshot())
	var rev int64
	for i := range 10001 {
		var err error
		rev, err = store.Save(ctx, st, model.Key(model.KindHostedZone, "Z1"), model.HostedZone{ID: "Z1", Comment: fmt.Sprint(i)}, store.Any)
		if err != nil {
			t.Fatal(err)
		}
	}
	go live.Watch(ctx, st, feed, slog.New(slog.NewTextHandler(io.Discard, nil)))
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	snap, err := feed.WaitFor(wctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	if z := snap.HostedZones["Z1"]; z == nil || z.Comment != "10000" {
		t.Fatalf("zone after recovery: got %+v, want the last write", z)
	}
}

// TestRunRetriesUnfinishedApply: an apply that left work undone (a socket that
// would not open) runs again on the same table without a new snapshot, and the
// snapshot counts as served from its first apply.
func TestRunRetriesUnfinishedApply(t *testing.T) {
	snap, err := model.EmptySnapshot().With(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	tab := live.Table[string]{RetryInterval: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	applied := make(chan int, 10)
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		tab.Run(ctx, feed, slog.New(slog.DiscardHandler), func(*model.Snapshot) (*string, error) {
			v := "t"
			return &v, nil
		}, func(*string) bool {
			calls++
			applied <- calls
			return calls < 3 // undone twice, then done
		})
	}()
	for want := 1; want <= 3; want++ {
		select {
		case got := <-applied:
			if got != want {
				t.Fatalf("apply call %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("apply ran %d times, want a retry without a new snapshot", want-1)
		}
	}
	cancel()
	<-done
	if served := tab.Served(); served != 7 {
		t.Fatalf("served %d, want the feed's revision 7", served)
	}
	if calls != 3 {
		t.Fatalf("apply ran %d times, want 3: it was done after the third", calls)
	}
}
