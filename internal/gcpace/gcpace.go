// Package gcpace bounds how often Go collects garbage while the live heap is
// small and allocation fast.
//
// Go's default pacing (GOGC=100) starts a collection when the heap has grown
// by as much as was live after the last one. gatehouse's live heap is a few
// MiB, and the hop that allocates the most per request (the chain through
// the in-process hand-off: ~4.5 KiB) then collects about twenty-five times
// a second: by hand, 45 µs of CPU a request with GOGC=100 against 37 with
// this package's pacing. A fixed headroom (collect every
// 64 MiB at least) cured that but cost the L7 hop, which allocates ~350 B
// per request: its allocations then walked through 64 MiB the caches do not
// hold, for no collection saved worth it.
//
// So the headroom follows the allocation rate: after each collection the
// next starts once the heap has grown by max(live, what was allocated in
// 1/perSecond at the rate since the last collection), up to maxHeadroom. A
// process that allocates slowly keeps Go's default; one that allocates fast
// collects about perSecond times a second. GOGC in the environment turns it
// off.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

const (
	// maxHeadroom bounds the growth allowed between collections.
	maxHeadroom = 64 << 20
	// maxPercent bounds the percentage for a nearly empty heap (at start).
	maxPercent = 10000
)

var once sync.Once

// Start paces collections for the rest of the process, at most about
// perSecond a second while the live heap is small, unless GOGC is set.
// Calls after the first do nothing.
func Start(perSecond int) {
	if os.Getenv("GOGC") != "" || perSecond <= 0 {
		return
	}
	once.Do(func() {
		p := &pacer{perSecond: uint64(perSecond), percent: 100, sample: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/allocs:bytes"},
		}}
		p.adjust(time.Now())
		p.arm()
	})
}

type pacer struct {
	perSecond uint64
	sample    []metrics.Sample
	percent   int
	allocs    uint64    // cumulative bytes allocated at the last collection
	at        time.Time // when adjust last ran
}

// sentinel is garbage from the moment it is made: its finalizer runs after
// the next collection and arms a new one, so adjust runs once per cycle.
// (A finalizer needs an object that is not a tiny allocation.)
type sentinel struct{ _ [32]byte }

func (p *pacer) arm() {
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		p.adjust(time.Now())
		p.arm()
	})
}

// adjust sets the percentage for the next cycle (only the finalizer
// goroutine calls it after Start).
func (p *pacer) adjust(now time.Time) {
	metrics.Read(p.sample)
	live, allocs := p.sample[0].Value.Uint64(), p.sample[1].Value.Uint64()
	if percent := p.next(live, allocs, now); percent != p.percent {
		p.percent = percent
		debug.SetGCPercent(percent)
	}
}

// next is the percentage for a heap of live bytes after a collection, with
// allocs bytes allocated since the process started, at now.
func (p *pacer) next(live, allocs uint64, now time.Time) int {
	var rate uint64 // bytes a second since the last collection
	if elapsed := now.Sub(p.at); !p.at.IsZero() && elapsed > 0 && allocs >= p.allocs {
		rate = uint64(float64(allocs-p.allocs) / elapsed.Seconds())
	}
	p.allocs, p.at = allocs, now
	headroom := min(rate/p.perSecond, maxHeadroom)
	live = max(live, 1)
	if headroom <= live {
		return 100
	}
	return int(min(headroom*100/live, maxPercent))
}
