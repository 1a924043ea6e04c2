package h1

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// watchDelay is how long a request runs, at least, before its connection is
// watched for the client going away (at most twice as long). net/http
// watches every request at once, with a read started on a goroutine of its
// own and stopped when the handler returns: a cost paid by every request to
// notice what matters only for slow ones. Here the connection's timer ticks
// every watchDelay while requests come, instead of being set and stopped for
// each, and a tick that finds the request of the tick before still running
// starts the same watch, late.
const watchDelay = 50 * time.Millisecond

// aLongTimeAgo is a deadline in the past: it ends a read in progress.
var aLongTimeAgo = time.Unix(1, 0)

// watch notices a client that closes its connection (or resets it) while a
// handler runs, and cancels the requests' context then, as net/http's
// background read does: a proxy stops waiting for its target and logs the
// client's departure (ALB's 460) instead of answering no one.
//
// The watch reads through the connection's buffer, with Peek: bytes a client
// pipelines behind the request stay there for the next head.
type watch struct {
	conn   net.Conn
	br     *bufio.Reader
	cancel context.CancelFunc
	timer  *time.Timer

	mu      sync.Mutex
	running bool          // a request runs (between start and stop)
	seq     uint64        // requests started
	seen    uint64        // the request running at the latest tick (seq then)
	ticking bool          // the timer is set
	reading chan struct{} // a read in progress; closed when it ends
	gone    bool          // the read failed: the client went away (written before reading closes)
}

func newWatch(conn net.Conn, br *bufio.Reader, cancel context.CancelFunc) *watch {
	return &watch{conn: conn, br: br, cancel: cancel}
}

// start is called before the handler runs. A request whose next bytes are
// already buffered needs no watch: the client was there after sending it.
func (w *watch) start() {
	if w.br.Buffered() > 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = true
	w.seq++
	if w.ticking {
		return
	}
	w.ticking = true
	if w.timer == nil {
		w.timer = time.AfterFunc(watchDelay, w.tick)
	} else {
		w.timer.Reset(watchDelay)
	}
}

// tick runs when the timer fires, on the timer's goroutine: with no request
// running the timer rests until the next start; a request seen running at
// the tick before, still running, gets the watch; any other is noted for
// the next tick.
func (w *watch) tick() {
	w.mu.Lock()
	if !w.running || w.reading != nil {
		w.ticking = false
		w.mu.Unlock()
		return
	}
	if w.seen != w.seq {
		w.seen = w.seq
		w.timer.Reset(watchDelay)
		w.mu.Unlock()
		return
	}
	w.ticking = false
	done := make(chan struct{})
	w.reading = done
	w.mu.Unlock()
	w.read(done)
}

// read waits on the connection for a byte or its end.
func (w *watch) read(done chan struct{}) {
	defer close(done)
	_, err := w.br.Peek(1)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return // more bytes (the client is there), or stop stopped us
	}
	w.gone = true // read by stop after done closes
	w.cancel()
}

// stop is called when the handler returned, before the connection is read
// again: it ends a read in progress and waits for it. It reports whether
// the client went away.
func (w *watch) stop() (gone bool) {
	w.mu.Lock()
	w.running = false
	done := w.reading
	w.mu.Unlock()
	if done == nil {
		return false
	}
	_ = w.conn.SetReadDeadline(aLongTimeAgo)
	<-done
	_ = w.conn.SetReadDeadline(time.Time{})
	w.mu.Lock()
	w.reading = nil
	w.mu.Unlock()
	return w.gone
}

// close stops the timer for good, when the connection's serving ends.
func (w *watch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = false
	if w.timer != nil {
		w.timer.Stop()
	}
}
