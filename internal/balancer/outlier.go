package balancer

import (
	"errors"
	"math/bits"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Outlier detection and per-try timeouts (failover.go uses them; doc.go says
// why they are shaped so). The numbers are Envoy's defaults where Envoy has
// one, tightened where the goal (a hung target out of rotation in under a
// second) needs it.
const (
	// perTryFloor is the least a try of a retryable request waits for the
	// target's response headers before it goes elsewhere: well above a
	// loopback or in-region round trip and a GC pause, well below a second.
	perTryFloor = 250 * time.Millisecond
	// perTryColdStart is the per-try timeout while a group has no latency
	// window yet: generous, because nothing is known of its targets.
	perTryColdStart = 2 * time.Second
	// perTryMultiple times the group's recent high percentile (p99, as the
	// upper bound of its log2 bucket, so up to twice the true p99) is the
	// per-try timeout: a target that is as slow as its peers usually are is
	// never cut.
	perTryMultiple = 3
	// latencyWindow is how many successful tries make one latency window;
	// the percentile of a closed window is what the next window uses.
	latencyWindow = 256
	// maxTries bounds the targets one request is sent to (HAProxy's and
	// Envoy's default of 1 try + 2 retries).
	maxTries = 3
	// consecutiveFailures is how many timeouts or failures after the
	// connection, in a row with no success between, eject a target (Envoy's
	// consecutive_gateway_failure is 5; 3 ejects a hung target sooner, and
	// a slow request that is slow everywhere is forgiven, see forgive).
	consecutiveFailures = 3
	// maxEjectedPercent of a group's targets may be ejected at once
	// (Envoy's max_ejection_percent), at least one of a group of two or
	// more: a group that is slow everywhere keeps serving from most of its
	// targets rather than ejecting its way down to one.
	maxEjectedPercent = 50
	// ejectionLogEvery spaces the ejection log lines: under a storm of
	// failing targets the log shows the first and a count of the rest.
	ejectionLogEvery = time.Second
)

// errPerTryTimeout ends a try whose target sent no response headers within
// the per-try timeout.
var errPerTryTimeout = errors.New("target sent no response within the per-try timeout")

// latency is one target group's recent time to response headers: log2
// buckets of microseconds filled by successful tries, closed every
// latencyWindow samples into a p99 estimate. Lock-free: a sample added while
// a window closes may land in either window, which moves a percentile by
// nothing that matters.
type latency struct {
	buckets [40]atomic.Uint32 // bucket i: [2^(i-1), 2^i) µs; bucket 0: under 1 µs
	count   atomic.Uint32
	p99     atomic.Int64 // nanoseconds, upper bound; 0 until the first window closes
}

func (l *latency) observe(d time.Duration) {
	us := uint64(d / time.Microsecond)
	i := min(bits.Len64(us), len(l.buckets)-1)
	l.buckets[i].Add(1)
	if l.count.Add(1) != latencyWindow {
		return
	}
	// This sample closed the window: summarize it and start the next.
	var counts [len(l.buckets)]uint32
	total := uint32(0)
	for i := range l.buckets {
		counts[i] = l.buckets[i].Swap(0)
		total += counts[i]
	}
	l.count.Store(0)
	need := total - total/100 // samples at or below the p99
	seen := uint32(0)
	for i, c := range counts {
		seen += c
		if seen >= need && seen > 0 {
			l.p99.Store(int64(time.Duration(uint64(1)<<i) * time.Microsecond))
			return
		}
	}
}

// perTry is the per-try timeout for a group with these latencies, at most
// limit (the response timeout).
func (l *latency) perTry(limit time.Duration) time.Duration {
	p := time.Duration(l.p99.Load())
	d := perTryColdStart
	if p > 0 {
		d = max(perTryFloor, perTryMultiple*p)
	}
	return min(d, limit)
}

// idempotent methods may be sent again after their bytes reached a target
// that then failed to answer (RFC 9110 9.2.2; PUT and DELETE are left out:
// a target that applied one and then hung would see it twice, and ALB
// clients do not expect that from a load balancer).
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// maxEjected is how many of a group of size targets may be ejected at once.
func maxEjected(size int) int {
	if size < 2 {
		return 0
	}
	return max(1, size*maxEjectedPercent/100)
}

// logLimiter lets one line through per interval and counts the ones it held
// back, so the next line can say how many there were.
type logLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether to log now and how many lines were held back since
// the last one logged.
func (l *logLimiter) allow(now time.Time, every time.Duration) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < every {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}
