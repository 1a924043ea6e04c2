package listen

import (
	"net"
	"sync"
)

// Queue is a net.Listener of connections handed over in process instead of
// accepted from a socket, for a server that serves both (an http.Server
// behind package h1, the gateway's server behind the endpoints): Give
// hands a connection to Accept.
type Queue struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewQueue returns an open Queue whose Addr is addr.
func NewQueue(addr net.Addr) *Queue {
	return &Queue{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Give waits until Accept takes c; once the queue is closed, it closes c
// instead.
func (q *Queue) Give(c net.Conn) {
	select {
	case q.conns <- c:
	case <-q.done:
		c.Close()
	}
}

// Accept returns the next connection given, or net.ErrClosed once the queue
// is closed.
func (q *Queue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// Close ends Accept and Give, now and from now on; it may be called more than
// once.
func (q *Queue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

// Addr is the address given to NewQueue.
func (q *Queue) Addr() net.Addr { return q.addr }
