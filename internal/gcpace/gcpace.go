// Package gcpace lets a server with a small live heap collect less often.
//
// Go's default pacing (GOGC=100) starts a collection when the heap has grown
// by as much as was live after the last one. A proxy's live heap is small (a
// few MiB: tables, pooled buffers, one goroutine per connection) while it
// allocates a few KiB per request, so under load it collects ten times a
// second or more; on the one-core L7 hop that was 2–3 % of the CPU, the
// largest single item of gatehouse's own work after its system calls.
//
// Headroom keeps at least a fixed amount of growth allowed between
// collections: after each one it sets the GC percentage so that the next
// starts at max(2 × live, live + headroom). A small heap then collects about
// headroom / allocation rate apart; a heap larger than headroom gets Go's
// default pacing. The heap never grows more than headroom past what Go's
// default allows, and a GOGC set in the environment is left alone.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the percentage for a nearly empty heap (at start).
const maxPercent = 10000

var once sync.Once

// Headroom starts keeping headroom bytes of growth allowed between
// collections, for the rest of the process, unless GOGC is set. Calls after
// the first do nothing.
func Headroom(headroom uint64) {
	if os.Getenv("GOGC") != "" || headroom == 0 {
		return
	}
	once.Do(func() {
		p := &pacer{headroom: headroom, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		p.adjust()
		p.arm()
	})
}

type pacer struct {
	headroom uint64
	sample   []metrics.Sample
	percent  int
}

// sentinel is garbage from the moment it is made: its finalizer runs after
// the next collection and arms a new one, so adjust runs once per cycle.
// (A finalizer needs an object that is not a tiny allocation.)
type sentinel struct{ _ [32]byte }

func (p *pacer) arm() {
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		p.adjust()
		p.arm()
	})
}

// adjust sets the percentage for the next cycle from the heap live after the
// last one (only the finalizer goroutine calls it after Headroom).
func (p *pacer) adjust() {
	metrics.Read(p.sample)
	live := uint64(1)
	if s := p.sample[0]; s.Value.Kind() == metrics.KindUint64 && s.Value.Uint64() > 0 {
		live = s.Value.Uint64()
	}
	percent := 100
	if p.headroom > live {
		percent = int(min(p.headroom*100/live, maxPercent))
	}
	if percent != p.percent {
		p.percent = percent
		debug.SetGCPercent(percent)
	}
}
