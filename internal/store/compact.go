package store

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrInUse is CompactBolt's refusal while a running gatehouse holds the store.
var ErrInUse = errors.New("store: in use by a running gatehouse")

// compactTxBytes is how much CompactBolt copies per write transaction, so
// compacting a large file does not hold it all in one transaction's memory.
const compactTxBytes = 64 << 20

// CompactBolt rewrites the store file in dir without its free pages: bbolt
// never gives space back to the file system, so a file that once held many
// large resources stays large after they are deleted. It runs offline: it holds
// the file's lock throughout (ErrInUse, after a short wait, when a daemon holds
// it), copies every key into a new file beside the old one, syncs it and
// renames it over the old one, so a crash at any point leaves either the old
// file or the new one, both whole. It returns the file's size before and after.
func CompactBolt(dir string) (before, after int64, err error) {
	return CompactBoltWith(dir, BoltOptions{})
}

// CompactBoltWith is CompactBolt waiting opt.LockTimeout for the lock; the
// quota does not apply (compacting never grows the store).
func CompactBoltWith(dir string, opt BoltOptions) (before, after int64, err error) {
	lockTimeout := cmp.Or(opt.LockTimeout, defaultLockTimeout)
	path := filepath.Join(dir, boltFile)
	if _, err := os.Stat(path); err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	// Opened read-write for the exclusive lock: no daemon may start while the
	// file is copied. No quota: compacting never grows the store.
	src, err := openLocked(path, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("compact %s: %w (stop it first)", path, ErrInUse)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, 0, fmt.Errorf("compact %s: remove leftover %s: %w", path, tmp, err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: create %s: %w", path, tmp, err)
	}
	// Every bbolt commit is fsynced, so once Compact and Close return, tmp is
	// whole on disk.
	if err := bolt.Compact(dst, src, compactTxBytes); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: close %s: %w", path, tmp, err)
	}
	old, err := os.Stat(path)
	if err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	// The rename is durable only once the directory is synced.
	if err := syncDir(dir); err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	cur, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	return old.Size(), cur.Size(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
