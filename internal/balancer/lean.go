package balancer

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pires/go-proxyproto"
)

// copyBufferSize is ReverseProxy's own copy buffer size: large enough that a
// big response streams in few syscalls.
const copyBufferSize = 32 << 10

// bufferPool lends ReverseProxy its copy buffers, which it otherwise
// allocates (and the GC clears and collects) for every request: 32 KiB of a
// hop whose response may be 1 KiB. The pool holds array pointers, which a
// returned slice converts back to without an allocation.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

func (bp *bufferPool) Get() []byte { return bp.p.Get().(*[copyBufferSize]byte)[:] }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) < copyBufferSize {
		return // not one of ours
	}
	bp.p.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
}

// newTraceRoot is a new X-Amzn-Trace-Id root (appendTraceRoot), in one
// allocation.
func newTraceRoot(now time.Time) string {
	var b [len("Root=1-") + 8 + 1 + 24]byte
	return string(appendTraceRoot(b[:0], now))
}

// appendTraceRoot appends a new X-Amzn-Trace-Id root, "Root=1-<8 hex: epoch
// seconds>-<24 hex: random>". The random part comes from math/rand/v2 (a
// per-thread ChaCha8), not crypto/rand: a trace id needs to be unique, not
// secret, and a system call per request is the most a hop spends on
// anything.
func appendTraceRoot(b []byte, now time.Time) []byte {
	var id [len("Root=1-") + 8 + 1 + 24]byte
	copy(id[:], "Root=1-")
	putHex(id[7:15], uint64(now.Unix()))
	id[15] = '-'
	putHex(id[16:32], rand.Uint64())
	putHex(id[32:], uint64(rand.Uint32()))
	return append(b, id[:]...)
}

// putHex fills dst with the lowest hex digits of v, two at a time.
func putHex(dst []byte, v uint64) {
	for i := len(dst) - 2; i >= 0; i -= 2 {
		pair := hexPairs[v&0xff]
		dst[i], dst[i+1] = pair[0], pair[1]
		v >>= 8
	}
}

// hexPairs is every byte's two hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0xf]}
	}
	return t
}()

// headerReadConn is a PROXY protocol connection whose read deadlines go
// straight to the socket once the header is behind it. go-proxyproto's Conn
// keeps every deadline it is given (in an atomic.Value: an allocation each)
// for the one use it has for them, bounding the header read; http.Server
// sets a read deadline several times per request. The first Read returns
// only after the header was read (or refused), so from then on the stored
// deadline is dead weight.
type headerReadConn struct {
	*proxyproto.Conn
	read atomic.Bool
}

func (c *headerReadConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.read.Load() {
		c.read.Store(true)
	}
	return n, err
}

func (c *headerReadConn) SetReadDeadline(t time.Time) error {
	if c.read.Load() {
		return c.Raw().SetReadDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *headerReadConn) SetDeadline(t time.Time) error {
	if c.read.Load() {
		return c.Raw().SetDeadline(t)
	}
	return c.Conn.SetDeadline(t)
}
