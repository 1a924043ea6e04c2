package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"gatehouse/internal/store"
)

// TestCompactCommand runs `gatehouse compact --data-dir DIR` on a store whose
// records were mostly deleted, then on one a process holds open.
func TestCompactCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 512<<10)
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if _, err := s.Put(ctx, k, big, 0); err != nil {
			t.Fatal(err)
		}
		if k != "a" {
			if _, err := s.Delete(ctx, k, store.Any); err != nil {
				t.Fatal(err)
			}
		}
	}

	var out bytes.Buffer
	err = Main([]string{"compact", "--data-dir", dir}, &out)
	if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("compact of an open store: got %v, want ErrInUse telling to stop gatehouse", err)
	}
	s.Close()

	out.Reset()
	if err := Main([]string{"compact", "--data-dir", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "compacted "+dir+": ") {
		t.Errorf("got output %q, want 'compacted %s: BEFORE → AFTER bytes'", out.String(), dir)
	}
	s, err = store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kv, err := s.Get(ctx, "a")
	if err != nil || !bytes.Equal(kv.Value, big) {
		t.Errorf("record a after compacting: got %d bytes, %v, want %d bytes", len(kv.Value), err, len(big))
	}
}
