package ipam_test

import (
	"context"
	"errors"
	"testing"

	"gatehouse/internal/ipam"
	"gatehouse/internal/store"
)

func TestAllocateSkipsReservedAndNeverRepeats(t *testing.T) {
	ctx := context.Background()
	st := store.NewMem()
	defer st.Close()
	// A /29 has 8 addresses: 4 reserved at the start, 1 at the end, 3 usable.
	want := []string{"127.31.1.4", "127.31.1.5", "127.31.1.6"}
	for _, w := range want {
		a, err := ipam.Allocate(ctx, st, "127.31.1.0/29", "test")
		if err != nil || a.String() != w {
			t.Fatalf("Allocate: got %v, %v; want %s", a, err, w)
		}
	}
	if _, err := ipam.Allocate(ctx, st, "127.31.1.0/29", "test"); !errors.Is(err, ipam.ErrExhausted) {
		t.Fatalf("full subnet: got %v, want ErrExhausted", err)
	}
	if err := ipam.Release(ctx, st, "127.31.1.5"); err != nil {
		t.Fatal(err)
	}
	if a, err := ipam.Allocate(ctx, st, "127.31.1.0/29", "test"); err != nil || a.String() != "127.31.1.5" {
		t.Fatalf("after release: got %v, %v; want 127.31.1.5", a, err)
	}
}
