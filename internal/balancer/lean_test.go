package balancer

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTraceID: ALB's X-Amzn-Trace-Id: a new root for a request without one
// (or with a header too long to keep), and the caller's root kept with this
// hop's Self, replacing an earlier Self.
func TestTraceID(t *testing.T) {
	now := time.Unix(0x5f3e2d1c, 0)
	id := `1-5f3e2d1c-[0-9a-f]{24}`
	cases := []struct {
		name, in string
		want     string // a regexp
	}{
		{"no header", "", `^Root=` + id + `$`},
		{"header without a root", "Parent=abc", `^Root=` + id + `$`},
		{"caller's root kept", "Root=1-00000000-000000000000000000000000", `^Self=` + id + `;Root=1-00000000-000000000000000000000000$`},
		{"earlier Self replaced", "Self=1-1-1;Root=1-2-2;Sampled=1", `^Self=` + id + `;Root=1-2-2;Sampled=1$`},
		{"over 1 KiB: a new root", "Root=" + strings.Repeat("a", 1024), `^Root=` + id + `$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := traceID(c.in, now); !regexp.MustCompile(c.want).MatchString(got) {
				t.Errorf("got %q, want %s", got, c.want)
			}
		})
	}
	if a, b := traceID("", now), traceID("", now); a == b {
		t.Errorf("two roots in the same second: got %q twice, want them different", a)
	}
}

// TestBufferPool: a buffer returned comes back whole; a foreign one is left
// out.
func TestBufferPool(t *testing.T) {
	bp := newBufferPool()
	b := bp.Get()
	if len(b) != copyBufferSize {
		t.Fatalf("len: got %d, want %d", len(b), copyBufferSize)
	}
	bp.Put(b[:10])
	if got := len(bp.Get()); got != copyBufferSize {
		t.Errorf("len after a short Put: got %d, want %d", got, copyBufferSize)
	}
	bp.Put(make([]byte, 10)) // not from the pool: dropped, no panic
}

// FuzzTraceID: any header a client sends gives an X-Amzn-Trace-Id that
// starts with a fresh root or this hop's Self, the latter only after a
// caller's root.
func FuzzTraceID(f *testing.F) {
	for _, s := range []string{"", "Root=1-2-3", "Self=x;Root=y", ";;;Root=", "Root=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := traceID(in, time.Now())
		if !strings.HasPrefix(got, "Root=1-") && !strings.HasPrefix(got, "Self=1-") {
			t.Errorf("traceID(%q) = %q, want a Root= or Self= first", in, got)
		}
		if strings.HasPrefix(got, "Self=") && !strings.Contains(in, "Root=") {
			t.Errorf("traceID(%q) = %q: a Self without the caller's root", in, got)
		}
	})
}

// TestTraceRootFormat checks a new root's shape, "Root=1-" and 8 hex digits
// of the epoch seconds, a dash, 24 hex digits, and that two differ.
func TestTraceRootFormat(t *testing.T) {
	now := time.Unix(0x5f1e2d3c, 0)
	a, b := newTraceRoot(now), newTraceRoot(now)
	re := regexp.MustCompile(`^Root=1-5f1e2d3c-[0-9a-f]{24}$`)
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Fatalf("roots %q, %q: want Root=1-5f1e2d3c-<24 hex>", a, b)
	}
	if a == b {
		t.Errorf("two roots are the same: %q", a)
	}
}
