package store

import (
	"context"
	"strings"
	"sync"
)

// hub keeps the recent history of changes and fans them out to watchers. The
// embedded backends share it; writers call publish while holding their write lock,
// so history is in revision order. publish never blocks on a slow watcher: each
// watcher has its own queue, drained by its own goroutine.
type hub struct {
	mu       sync.Mutex
	history  []Event // the most recent changes, oldest first
	limit    int     // most events history keeps
	maxBytes int     // most bytes of keys and values history keeps
	bytes    int     // bytes of keys and values in history
	oldest   int64   // revision of the first event that history may be missing (compaction point)
	watchers map[*watcher]struct{}
	closed   bool
}

type watcher struct {
	prefix string
	after  int64 // events at or before it were seen by the caller's List
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
}

func newHub(rev int64, limit, maxBytes int) *hub {
	return &hub{limit: limit, maxBytes: maxBytes, oldest: rev, watchers: map[*watcher]struct{}{}}
}

func eventBytes(e Event) int { return len(e.Key) + len(e.Value) }

// publish records the events of one write, all at one revision, under one lock
// so that a watcher registering meanwhile sees all of them or none from history.
func (h *hub) publish(events ...Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.history = append(h.history, events...)
	for _, e := range events {
		h.bytes += eventBytes(e)
	}
	drop := max(0, len(h.history)-h.limit)
	for _, e := range h.history[:drop] {
		h.bytes -= eventBytes(e)
	}
	for drop < len(h.history) && h.bytes > h.maxBytes {
		h.bytes -= eventBytes(h.history[drop])
		drop++
	}
	if drop > 0 {
		// The rest of the last dropped revision is of no use: a Watch from
		// before it is compacted, and one from it has seen it.
		for drop < len(h.history) && h.history[drop].Rev == h.history[drop-1].Rev {
			h.bytes -= eventBytes(h.history[drop])
			drop++
		}
		h.oldest = h.history[drop-1].Rev
		// Slide the window instead of copying it: a full history drops a few
		// events a write, and copying the rest each time cost every write
		// the whole history (at the limit ~250 µs and 565 KB a write:
		// BenchmarkPublishFullHistory). Clearing the dropped events frees
		// their keys and values now; append moves the live part to a new
		// array once the slid window runs out of capacity.
		clear(h.history[:drop])
		h.history = h.history[drop:]
	}
	for w := range h.watchers {
		for _, e := range events {
			w.push(e)
		}
	}
}

func (w *watcher) push(e Event) {
	// A write commits before it is published: a List in between already
	// reflects it, so a watch started at that List's revision must skip it.
	if e.Rev <= w.after || !strings.HasPrefix(e.Key, w.prefix) {
		return
	}
	w.mu.Lock()
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// watch registers a watcher that first replays history after rev.
func (h *hub) watch(ctx context.Context, prefix string, after int64) (<-chan Event, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if after < h.oldest {
		h.mu.Unlock()
		return nil, ErrCompacted
	}
	w := &watcher{prefix: prefix, after: after, wake: make(chan struct{}, 1)}
	for _, e := range h.history {
		w.push(e)
	}
	h.watchers[w] = struct{}{}
	h.mu.Unlock()

	out := make(chan Event)
	go func() {
		defer close(out)
		defer func() {
			h.mu.Lock()
			delete(h.watchers, w)
			h.mu.Unlock()
		}()
		for {
			w.mu.Lock()
			batch := w.queue
			w.queue = nil
			w.mu.Unlock()
			for _, e := range batch {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-w.wake:
			case <-ctx.Done():
				return
			}
			if h.isClosed() {
				return
			}
		}
	}()
	return out, nil
}

func (h *hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for w := range h.watchers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}
