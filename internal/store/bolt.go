package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	bucketKV   = []byte("kv")   // key → 8-byte big-endian mod revision + value
	bucketMeta = []byte("meta") // "rev" → 8-byte big-endian store revision
	keyRev     = []byte("rev")
)

// Bolt is the embedded default Store: one bbolt file. Every write is one bbolt
// transaction, fsynced before it returns, so a change that was acknowledged
// survives a crash.
type Bolt struct {
	db  *bolt.DB
	mu  sync.Mutex // serialises writers so hub.publish sees revisions in order
	hub *hub

	maxBytes int // the file's quota; 0: none
}

// BoltOptions tunes the embedded store; the zero value gives the defaults.
type BoltOptions struct {
	// MaxBytes is the quota of the store file: a write that would grow the file
	// beyond it fails with ErrFull (in a *LimitError) and changes nothing, as a
	// failed bbolt transaction rolls back. 0 means DefaultMaxBytes; < 0, none.
	MaxBytes int
	// LockTimeout is how long opening waits for the file lock that another
	// process holds before it fails; 0 means 2 seconds.
	LockTimeout time.Duration
}

// boltFile is the store's file name in the data directory.
const boltFile = "gatehouse.db"

// defaultLockTimeout turns a second process on the same data directory into
// an error instead of a hang on the file lock.
const defaultLockTimeout = 2 * time.Second

// OpenBolt opens (creating if needed) the store file "gatehouse.db" in dir
// with the default options.
func OpenBolt(dir string) (*Bolt, error) {
	return OpenBoltWith(dir, BoltOptions{})
}

// OpenBoltWith opens the store file "gatehouse.db" in dir with opt.
func OpenBoltWith(dir string, opt BoltOptions) (*Bolt, error) {
	path := filepath.Join(dir, boltFile)
	maxBytes := opt.MaxBytes
	switch {
	case maxBytes == 0:
		maxBytes = DefaultMaxBytes
	case maxBytes < 0:
		maxBytes = 0 // bbolt: no limit
	}
	db, err := openLocked(path, &bolt.Options{Timeout: cmp.Or(opt.LockTimeout, defaultLockTimeout), MaxSize: maxBytes})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	var rev int64
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketKV); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyRev); len(v) == 8 {
			rev = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Bolt{db: db, hub: newHub(rev, historyLimit, historyBytes), maxBytes: maxBytes}, nil
}

// openLocked opens path with bbolt, which takes the file lock, and makes sure
// the locked file is still the one at path: CompactBolt renames a new file
// over it while holding the old one's lock, and a process that was waiting for
// that lock must not go on writing to the replaced, unlinked file.
func openLocked(path string, opt *bolt.Options) (*bolt.DB, error) {
	for {
		var file *os.File // the file bbolt opened (and locked), to compare with path's
		o := *opt
		o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		}
		db, err := bolt.Open(path, 0o600, &o)
		if err != nil {
			return nil, err
		}
		held, err1 := os.Stat(path)
		open, err2 := file.Stat()
		if err1 == nil && err2 == nil && os.SameFile(held, open) {
			return db, nil
		}
		db.Close()
		if err2 != nil {
			return nil, err2
		}
		if err1 != nil && !errors.Is(err1, os.ErrNotExist) {
			return nil, err1
		}
	}
}

func (b *Bolt) Get(_ context.Context, key string) (KV, error) {
	var kv KV
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketKV).Get([]byte(key))
		if v == nil {
			return ErrNotFound
		}
		kv = decodeKV(key, v)
		return nil
	})
	return kv, mapBoltErr(err)
}

func (b *Bolt) List(_ context.Context, prefix string) ([]KV, int64, error) {
	var out []KV
	var rev int64
	err := b.db.View(func(tx *bolt.Tx) error {
		rev = readRev(tx)
		c := tx.Bucket(bucketKV).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
			out = append(out, decodeKV(string(k), v))
		}
		return nil
	})
	return out, rev, mapBoltErr(err)
}

func (b *Bolt) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	return b.Txn(ctx, expectConds(key, expect), []Op{Put(key, value)})
}

func (b *Bolt) Delete(ctx context.Context, key string, expect int64) (int64, error) {
	return b.Txn(ctx, expectConds(key, expect), []Op{{Key: key, Delete: true, mustExist: true}})
}

// Txn is one bbolt transaction: the conditions are read and the ops written
// in it, so no other write comes between them, and it is fsynced before the
// watchers hear of it.
func (b *Bolt) Txn(_ context.Context, conds []Cond, ops []Op) (int64, error) {
	if err := checkTxn(conds, ops); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var rev int64
	var events []Event
	err := b.db.Update(func(tx *bolt.Tx) error {
		kvb := tx.Bucket(bucketKV)
		for _, op := range ops {
			if op.mustExist && kvb.Get([]byte(op.Key)) == nil {
				return ErrNotFound
			}
		}
		modRev := func(key string) int64 {
			if v := kvb.Get([]byte(key)); v != nil {
				return decodeModRev(v)
			}
			return 0
		}
		newestUnder := func(prefix string) int64 {
			var newest int64
			c := kvb.Cursor()
			for k, v := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
				newest = max(newest, decodeModRev(v))
			}
			return newest
		}
		if !condsHold(conds, modRev, newestUnder) {
			return ErrConflict
		}
		rev = readRev(tx) + 1
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(rev))
		if err := tx.Bucket(bucketMeta).Put(keyRev, buf[:]); err != nil {
			return err
		}
		events = make([]Event, 0, len(ops))
		for _, op := range ops {
			k := []byte(op.Key)
			if op.Prefix {
				// Collect first: deleting under a bbolt cursor skips keys.
				var under [][]byte
				c := kvb.Cursor()
				for key, _ := c.Seek(k); key != nil && bytes.HasPrefix(key, k); key, _ = c.Next() {
					under = append(under, bytes.Clone(key))
				}
				for _, key := range under {
					if err := kvb.Delete(key); err != nil {
						return err
					}
					events = append(events, Event{Rev: rev, Key: string(key), Delete: true})
				}
				continue
			}
			if op.Delete {
				if kvb.Get(k) == nil {
					continue // a no-op, as in etcd: no event
				}
				if err := kvb.Delete(k); err != nil {
					return err
				}
				events = append(events, Event{Rev: rev, Key: op.Key, Delete: true})
				continue
			}
			if err := kvb.Put(k, append(buf[:], op.Value...)); err != nil {
				return err
			}
			events = append(events, Event{Rev: rev, Key: op.Key, Value: append([]byte(nil), op.Value...)})
		}
		return nil
	})
	if errors.Is(err, bolterrors.ErrMaxSizeReached) {
		return 0, errFull(b.maxBytes)
	}
	if err != nil {
		return 0, mapBoltErr(err)
	}
	b.hub.publish(events...)
	return rev, nil
}

func (b *Bolt) Watch(ctx context.Context, prefix string, after int64) (<-chan Event, error) {
	return b.hub.watch(ctx, prefix, after)
}

func (b *Bolt) Close() error {
	b.hub.close()
	return b.db.Close()
}

func readRev(tx *bolt.Tx) int64 {
	v := tx.Bucket(bucketMeta).Get(keyRev)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func decodeModRev(v []byte) int64 { return int64(binary.BigEndian.Uint64(v[:8])) }

// decodeKV copies the value out: bbolt's memory is only valid inside the transaction.
func decodeKV(key string, v []byte) KV {
	return KV{Key: key, ModRev: int64(binary.BigEndian.Uint64(v[:8])), Value: append([]byte(nil), v[8:]...)}
}

func mapBoltErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
