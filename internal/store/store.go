// Package store is gatehouse's revisioned key-value store with watch. Every write
// bumps one store-wide revision; Watch delivers every change after a revision once,
// in revision order. Backends: bolt (embedded, one file, the default), etcd (a
// cluster shared by several nodes) and mem (tests); the storetest suite holds every
// backend to the same contract.
//
// Writes are compare-and-swap on the key's modification revision, so concurrent
// read-modify-write operations (Update) never lose a change. Txn extends that to
// several keys and to prefixes ("no child was created under this parent since
// I looked"), which is how rules spanning several records hold across nodes.
package store

import (
	"context"
	"errors"
)

// Errors callers branch on.
var (
	ErrNotFound  = errors.New("store: key not found")
	ErrConflict  = errors.New("store: revision conflict")
	ErrCompacted = errors.New("store: revision compacted")
	ErrClosed    = errors.New("store: closed")
)

// Any as the expected revision makes a write unconditional.
const Any int64 = -1

// KV is a stored value and the revision that last modified it.
type KV struct {
	Key    string
	Value  []byte
	ModRev int64
}

// Event is one change: a put (Value set) or a delete, at store revision Rev.
type Event struct {
	Rev    int64
	Key    string
	Value  []byte
	Delete bool
}

// Store is the interface every backend implements.
type Store interface {
	// Get returns the key's value, or ErrNotFound.
	Get(ctx context.Context, key string) (KV, error)
	// List returns every key with the prefix in key order, and the store revision
	// the listing reflects.
	List(ctx context.Context, prefix string) ([]KV, int64, error)
	// Put writes the value if the key's ModRev equals expect (0: the key must not
	// exist; Any: unconditionally) and returns the new revision, or ErrConflict.
	Put(ctx context.Context, key string, value []byte, expect int64) (int64, error)
	// Delete removes the key if its ModRev equals expect (or expect is Any) and
	// returns the new revision; ErrNotFound if the key does not exist.
	Delete(ctx context.Context, key string, expect int64) (int64, error)
	// Txn applies every op at one new store revision, which it returns, if
	// every condition holds; otherwise it writes nothing and returns
	// ErrConflict. Watchers see the ops as events of that one revision, in op
	// order (a delete of a missing key is a no-op and no event). A malformed
	// Txn fails with ErrInvalidTxn, values over the limits as Put's do.
	Txn(ctx context.Context, conds []Cond, ops []Op) (int64, error)
	// Watch delivers every change to keys with the prefix after revision after, in
	// order, until ctx ends (then the channel closes). ErrCompacted if the
	// backend no longer has the history since after. A backend that resumes
	// watches over reconnects (etcd) closes the channel early if the history
	// it needs was compacted meanwhile; watching again reports ErrCompacted.
	Watch(ctx context.Context, prefix string, after int64) (<-chan Event, error)
	// Close releases the backend. Watches end.
	Close() error
}
