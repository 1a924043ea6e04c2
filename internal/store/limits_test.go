package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// value is a distinct, incompressible-enough value of n bytes for key i.
func value(i, n int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%08d", i)), n/8)
}

func fileSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestBoltQuota fills a store with a 4 MiB quota: the write that would grow
// the file beyond it fails with ErrFull as a 400 the AWS API can answer, the
// file stays within the quota, and everything written before is intact, also
// after reopening. A delete still works on the full store.
func TestBoltQuota(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const quota = 4 << 20
	s, err := store.OpenBoltWith(dir, store.BoltOptions{MaxBytes: quota})
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 10
	written := 0
	for ; ; written++ {
		if written > 1000 {
			t.Fatalf("%d values of %d bytes written into a %d-byte quota, want ErrFull", written, size, quota)
		}
		_, err = s.Put(ctx, fmt.Sprintf("k/%04d", written), value(written, size), 0)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("put %d: got %v, want ErrFull", written, err)
	}
	var ae *model.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "ServiceQuotaExceededException" {
		t.Fatalf("put %d: got %#v, want a 400 ServiceQuotaExceededException *model.Error", written, err)
	}
	t.Logf("%d values of %d bytes fit the %d-byte quota", written, size, quota)
	if got := fileSize(t, dir); got > quota {
		t.Errorf("file is %d bytes, want at most the quota %d", got, quota)
	}
	if written < 10 {
		t.Errorf("only %d values of %d bytes fit a %d-byte quota, want most of it used", written, size, quota)
	}
	if _, err := s.Delete(ctx, "k/0000", store.Any); err != nil {
		t.Errorf("delete on a full store: %v", err)
	}
	s.Close()

	s, err = store.OpenBoltWith(dir, store.BoltOptions{MaxBytes: quota})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kvs, _, err := s.List(ctx, "k/")
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != written-1 {
		t.Fatalf("after reopening: got %d keys, want %d", len(kvs), written-1)
	}
	for _, kv := range kvs {
		var i int
		fmt.Sscanf(kv.Key, "k/%d", &i)
		if !bytes.Equal(kv.Value, value(i, size)) {
			t.Errorf("%s: value changed", kv.Key)
		}
	}
}

// TestCompactBolt fills a store, deletes most of it, compacts the file and
// checks that it shrank and that every remaining record, its revision and the
// store's revision counter are intact. Compacting a store a daemon holds is
// refused with ErrInUse and leaves it alone.
func TestCompactBolt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 200, 32 << 10
	for i := range n {
		if _, err := s.Put(ctx, fmt.Sprintf("k/%04d", i), value(i, size), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if i%20 != 0 {
			if _, err := s.Delete(ctx, fmt.Sprintf("k/%04d", i), store.Any); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, rev, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	// A short wait for the lock: CompactBolt refuses the same way after 2s.
	if _, _, err := store.CompactBoltWith(dir, store.BoltOptions{LockTimeout: 10 * time.Millisecond}); !errors.Is(err, store.ErrInUse) {
		t.Errorf("compact while the store is open: got %v, want ErrInUse", err)
	}
	s.Close()

	before, after, err := store.CompactBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compacted %d → %d bytes", before, after)
	if got := fileSize(t, dir); got != after || before <= 4*after {
		t.Errorf("got %d → %d bytes (file %d), want the %d-byte file at least 4 times smaller", before, after, got, before)
	}
	if _, err := os.Stat(filepath.Join(dir, "gatehouse.db.compact")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}

	s, err = store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, gotRev, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if gotRev != rev || len(got) != len(want) {
		t.Fatalf("after compacting: got %d keys at revision %d, want %d at %d", len(got), gotRev, len(want), rev)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].ModRev != want[i].ModRev || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Errorf("record %d: got %s rev %d (%d bytes), want %s rev %d (%d bytes)",
				i, got[i].Key, got[i].ModRev, len(got[i].Value), want[i].Key, want[i].ModRev, len(want[i].Value))
		}
	}
	// The compacted store takes writes, continuing the revision counter.
	if r, err := s.Put(ctx, "after", []byte("x"), 0); err != nil || r != rev+1 {
		t.Errorf("put after compacting: got rev %d, %v, want rev %d", r, err, rev+1)
	}
}
