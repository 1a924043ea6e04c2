package gcpace

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"gatehouse/internal/testutil"
)

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// With a live heap under the headroom the percentage rises so the next
// collection waits for about headroom bytes; once the live heap is larger
// than the headroom, Go's default (100) is back.
func TestHeadroom(t *testing.T) {
	t.Setenv("GOGC", "")
	const headroom = 64 << 20
	Headroom(headroom)
	testutil.Eventually(t, "a percentage over 100 for a small heap", func() (bool, string) {
		runtime.GC()
		return gogc() > 100, "GOGC " + strconv.FormatUint(gogc(), 10)
	})
	live := make([][]byte, 0, 100)
	for range 100 {
		live = append(live, make([]byte, 1<<20)) // 100 MiB live: more than the headroom
	}
	testutil.Eventually(t, "Go's default for a heap over the headroom", func() (bool, string) {
		runtime.GC()
		return gogc() == 100, "GOGC " + strconv.FormatUint(gogc(), 10)
	})
	runtime.KeepAlive(live)
}
