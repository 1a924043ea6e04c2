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

// newTraceRoot is a new X-Amzn-Trace-Id root, "Root=1-<8 hex: epoch
// seconds>-<24 hex: random>", built in one allocation. The random part comes
// from math/rand/v2 (a per-thread ChaCha8), not crypto/rand: a trace id needs
// to be unique, not secret, and a system call per request is the most a hop
// spends on anything.
func newTraceRoot(now time.Time) string {
	const digits = "0123456789abcdef"
	var b [len("Root=1-") + 8 + 1 + 24]byte
	copy(b[:], "Root=1-")
	sec := uint32(now.Unix())
	for i := range 8 {
		b[7+i] = digits[sec>>(28-4*i)&0xf]
	}
	b[15] = '-'
	hi, lo := rand.Uint64(), rand.Uint32()
	for i := range 16 {
		b[16+i] = digits[hi>>(60-4*i)&0xf]
	}
	for i := range 8 {
		b[32+i] = digits[lo>>(28-4*i)&0xf]
	}
	return string(b[:])
}

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
