package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func TestMem(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := store.NewMem()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenBolt(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestBoltSurvivesRestart closes and reopens the file: values and the revision
// counter must both come back.
func TestBoltSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := s.Put(ctx, "k", []byte("kept"), 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kv, err := s.Get(ctx, "k")
	if err != nil || string(kv.Value) != "kept" || kv.ModRev != rev {
		t.Fatalf("after reopen: got %+v, %v; want kept at rev %d", kv, err, rev)
	}
	next, err := s.Put(ctx, "k2", []byte("x"), 0)
	if err != nil || next != rev+1 {
		t.Fatalf("revision after reopen: got %d, %v; want %d", next, err, rev+1)
	}
}

// TestBoltSecondOpenFails: two daemons on one data directory must not both run.
func TestBoltSecondOpenFails(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A short wait for the lock: the second open fails the same way after 2s.
	if s2, err := store.OpenBoltWith(dir, store.BoltOptions{LockTimeout: 10 * time.Millisecond}); err == nil {
		s2.Close()
		t.Fatal("second open of the same data directory succeeded")
	}
}

// TestMemCompaction: a watch that starts behind the kept history is refused with
// ErrCompacted (the caller lists again), never silently short of changes.
func TestMemCompaction(t *testing.T) {
	ctx := context.Background()
	s := store.NewMem()
	defer s.Close()
	for i := range 10001 {
		if _, err := s.Put(ctx, "k", []byte{byte(i)}, store.Any); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Watch(ctx, "", 0); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("watch from revision 0 after 10001 writes: got %v, want ErrCompacted", err)
	}
	if _, err := s.Watch(ctx, "", 10000); err != nil {
		t.Fatalf("watch from a kept revision: %v", err)
	}
}
