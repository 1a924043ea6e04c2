// Package live turns store revisions into immutable model snapshots and lets each
// service swap in a freshly compiled table without stopping traffic.
//
// Data path: Watch (store events) → Feed.publish (new *model.Snapshot) → Follow
// (each service, coalescing) → Table.Compile (pure compile; on error the old table
// keeps serving) → Table.Load on the hot path (one atomic load).
package live

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Feed holds the newest snapshot and wakes followers when it changes.
type Feed struct {
	mu      sync.Mutex
	cur     *model.Snapshot
	changed chan struct{} // closed and replaced on every publish
}

// NewFeed returns a feed holding snap.
func NewFeed(snap *model.Snapshot) *Feed {
	return &Feed{cur: snap, changed: make(chan struct{})}
}

// Current returns the newest snapshot and a channel closed when a newer one exists.
func (f *Feed) Current() (*model.Snapshot, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur, f.changed
}

// Publish makes snap the newest snapshot and wakes every follower.
func (f *Feed) Publish(snap *model.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cur = snap
	close(f.changed)
	f.changed = make(chan struct{})
}

// WaitFor blocks until the feed reaches at least revision rev, so a caller that
// just wrote can see its own write in every service's next table.
func (f *Feed) WaitFor(ctx context.Context, rev int64) (*model.Snapshot, error) {
	for {
		snap, changed := f.Current()
		if snap.Rev >= rev {
			return snap, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Load lists the whole store and returns the snapshot at its revision.
func Load(ctx context.Context, st store.Store) (*model.Snapshot, error) {
	kvs, rev, err := st.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list store: %w", err)
	}
	changes := make([]model.Change, len(kvs))
	for i, kv := range kvs {
		changes[i] = model.Change{Key: kv.Key, Value: kv.Value}
	}
	return model.EmptySnapshot().With(rev, changes)
}

// Watch keeps feed current with st until ctx ends. Events that arrive together
// are folded into one snapshot. A record that fails to decode is logged and left
// out; the rest of the snapshot still advances.
func Watch(ctx context.Context, st store.Store, feed *Feed, log *slog.Logger) error {
	for {
		snap, _ := feed.Current()
		events, err := st.Watch(ctx, "", snap.Rev)
		if errors.Is(err, store.ErrCompacted) {
			// Fell behind the history: start again from a full listing.
			fresh, err := Load(ctx, st)
			if fresh == nil {
				return err
			}
			if err != nil {
				log.Error("snapshot has undecodable records", "err", err)
			}
			feed.Publish(fresh)
			continue
		}
		if err != nil {
			return fmt.Errorf("watch store: %w", err)
		}
		for e := range events {
			batch := []model.Change{toChange(e)}
			rev := e.Rev
		drain:
			for {
				select {
				case e, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, toChange(e))
					rev = e.Rev
				default:
					break drain
				}
			}
			next, err := snap.With(rev, batch)
			if err != nil {
				log.Error("snapshot has undecodable records", "err", err)
			}
			feed.Publish(next)
			snap = next
		}
		if ctx.Err() != nil {
			return nil
		}
		// The channel closed without ctx ending: the store closed, or a
		// backend that resumes its watches (etcd) found the history it needed
		// compacted. Watching again tells which: ErrClosed ends the loop,
		// ErrCompacted reloads.
	}
}

func toChange(e store.Event) model.Change {
	return model.Change{Key: e.Key, Value: e.Value, Delete: e.Delete}
}

// Follow calls apply with every newer snapshot until ctx ends, starting with the
// current one. Snapshots published while apply runs are coalesced: apply always
// sees the newest.
func Follow(ctx context.Context, feed *Feed, apply func(*model.Snapshot)) {
	for {
		snap, changed := feed.Current()
		apply(snap)
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// Table is a service's compiled lookup table, swapped atomically. The zero value
// holds nil until the first successful Compile.
type Table[T any] struct {
	// RetryInterval is how soon Run applies a table again when its apply
	// left work undone, such as a socket that would not open (its address in
	// use): the side effect is retried without waiting for a change. Zero
	// means DefaultRetryInterval. Set it before Run.
	RetryInterval time.Duration

	p      atomic.Pointer[T]
	rev    atomic.Int64
	served atomic.Int64
}

// Load returns the table in force. Hot paths call it once per request or
// connection and use that table throughout.
func (t *Table[T]) Load() *T { return t.p.Load() }

// Rev is the snapshot revision of the table in force.
func (t *Table[T]) Rev() int64 { return t.rev.Load() }

// Served is the newest snapshot revision whose table is in force and whose
// side effects were carried out (sockets opened, status written), or found
// impossible for now and reported in the resources' status (a socket whose
// address is in use: Run retries it): what "my change is live, or says why
// not" waits for.
func (t *Table[T]) Served() int64 { return t.served.Load() }

// MarkServed records that the table compiled from rev is fully in force. Run does
// it after onSwap; services that drive Compile themselves call it.
func (t *Table[T]) MarkServed(rev int64) { t.served.Store(rev) }

// Compile builds a table from snap and swaps it in. If compile fails, the old
// table keeps serving and the error is returned for the caller to log.
func (t *Table[T]) Compile(snap *model.Snapshot, compile func(*model.Snapshot) (*T, error)) error {
	next, err := compile(snap)
	if err != nil {
		return fmt.Errorf("compile rev %d (keeping rev %d): %w", snap.Rev, t.rev.Load(), err)
	}
	t.p.Store(next)
	t.rev.Store(snap.Rev)
	return nil
}

// DefaultRetryInterval is Table.RetryInterval's default.
const DefaultRetryInterval = 2 * time.Second

// Run follows feed and compiles every snapshot into t, logging rejected
// tables, until ctx ends. After each swap it calls apply (if not nil) with the
// table in force and marks the snapshot served (see Served); while apply
// reports work left undone, it calls it again every RetryInterval until apply
// is done or a newer snapshot arrives.
func (t *Table[T]) Run(ctx context.Context, feed *Feed, log *slog.Logger, compile func(*model.Snapshot) (*T, error), apply func(*T) (retry bool)) {
	for {
		snap, changed := feed.Current()
		if err := t.Compile(snap, compile); err != nil {
			log.Error("table rejected", "err", err)
		} else if !t.applyUntilDone(ctx, snap.Rev, changed, apply) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// applyUntilDone is Run's apply-and-retry for the table of rev. It reports
// false once ctx has ended.
func (t *Table[T]) applyUntilDone(ctx context.Context, rev int64, changed <-chan struct{}, apply func(*T) bool) bool {
	for {
		again := apply != nil && apply(t.Load())
		t.MarkServed(rev)
		if !again {
			return true
		}
		select {
		case <-time.After(cmp.Or(t.RetryInterval, DefaultRetryInterval)):
		case <-changed:
			return true
		case <-ctx.Done():
			return false
		}
	}
}
