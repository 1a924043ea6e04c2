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

// TestHubHistoryBoundedInCount publishes many times the count bound: the
// history keeps the newest events in order, its array does not grow with
// the writes, and a Watch from within it replays the rest.
func TestHubHistoryBoundedInCount(t *testing.T) {
	const limit = 100
	h := newHub(0, limit, 1<<20)
	for rev := int64(1); rev <= 20*limit; rev++ {
		h.publish(Event{Rev: rev, Key: "k", Value: []byte("v")})
	}
	if len(h.history) != limit || h.history[0].Rev != 19*limit+1 {
		t.Fatalf("got %d events from rev %d, want the newest %d", len(h.history), h.history[0].Rev, limit)
	}
	if c := cap(h.history); c > 3*limit {
		t.Fatalf("history's array holds %d events for a bound of %d", c, limit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := h.watch(ctx, "", 20*limit-3)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	for want := int64(20*limit - 2); want <= 20*limit; want++ {
		if e := <-ch; e.Rev != want {
			t.Fatalf("got rev %d, want %d", e.Rev, want)
		}
	}
}

// BenchmarkPublishFullHistory: a write once the history is at its count
// bound costs its own events, not a copy of the history. It did, until
// 0cd73b0: 248 µs and 565 KB a write at historyLimit (now ~0.3 µs, ~280 B).
func BenchmarkPublishFullHistory(b *testing.B) {
	h := newHub(0, historyLimit, historyBytes)
	rev := int64(0)
	publish := func() {
		rev++
		h.publish(Event{Rev: rev, Key: "apigateway/k", Value: []byte(`{"id":"v"}`)})
	}
	for range historyLimit {
		publish()
	}
	b.ReportAllocs()
	for b.Loop() {
		publish()
	}
}
