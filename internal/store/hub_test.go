package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestHubHistoryBoundedInBytes writes values that together exceed the
// history's byte bound long before its count bound: the history keeps only
// the newest, a Watch from before them is told to List again, and one from
// within them replays the rest.
func TestHubHistoryBoundedInBytes(t *testing.T) {
	const value = 1 << 10
	h := newHub(0, 1000, 10*value)
	for rev := int64(1); rev <= 50; rev++ {
		h.publish(Event{Rev: rev, Key: "k", Value: []byte(strings.Repeat("v", value))})
	}
	if h.bytes > h.maxBytes {
		t.Fatalf("got %d bytes in history, want at most %d", h.bytes, h.maxBytes)
	}
	if got := len(h.history); got < 5 || got > 10 {
		t.Fatalf("got %d events in history, want the newest 5 to 10", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := h.watch(ctx, "", 1); !errors.Is(err, ErrCompacted) {
		t.Fatalf("watch from rev 1: got %v, want ErrCompacted", err)
	}
	ch, err := h.watch(ctx, "", 47)
	if err != nil {
		t.Fatalf("watch from rev 47: %v", err)
	}
	for want := int64(48); want <= 50; want++ {
		if e := <-ch; e.Rev != want {
			t.Fatalf("got rev %d, want %d", e.Rev, want)
		}
	}
}
