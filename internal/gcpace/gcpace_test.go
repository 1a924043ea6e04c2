package gcpace

import (
	"testing"
	"time"
)

// The percentage follows the allocation rate between collections: Go's
// default for a slow one, about perSecond collections a second for a fast
// one, bounded by maxHeadroom; the first cycle (no rate yet) keeps the
// default.
func TestNext(t *testing.T) {
	p := &pacer{perSecond: 4}
	start := time.Unix(1000, 0)
	const mib = 1 << 20
	steps := []struct {
		name         string
		live, allocs uint64
		after        time.Duration
		wantPercent  int
	}{
		{"first cycle", 4 * mib, 10 * mib, 0, 100},
		{"slow: 8 MiB/s, 2 MiB a quarter second", 4 * mib, 18 * mib, time.Second, 100},
		{"fast: 120 MiB/s, 30 MiB a quarter second", 4 * mib, 138 * mib, time.Second, 750},
		{"faster than the bound", 4 * mib, 138*mib + 1000*mib, time.Second, 1600},
		{"a live heap over the headroom", 64 * mib, 138*mib + 1100*mib, time.Second, 100},
	}
	now := start
	for _, s := range steps {
		now = now.Add(s.after)
		if got := p.next(s.live, s.allocs, now); got != s.wantPercent {
			t.Errorf("%s: got %d%%, want %d%%", s.name, got, s.wantPercent)
		}
	}
}
