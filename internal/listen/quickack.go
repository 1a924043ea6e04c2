package listen

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
)

// openingWrites is how many of a connection's first writes (for a relay,
// reads) are each followed by a quick ACK (Opening): the points after which a
// client may have to send twice before we write again. A TLS 1.3 server
// writes its handshake once (its whole flight, tickets included in Go's);
// twice after a HelloRetryRequest, whose reply is one ClientHello. A TLS 1.2
// server writes twice: after its first flight a client may send
// ClientKeyExchange, ChangeCipherSpec and Finished as separate writes; after
// an abbreviated (resumed) handshake's only flight it sends its Finished and
// then the request. A relay reads the client's ClientHello, then its Finished.
// Each quick ACK is a setsockopt (a few µs on a loaded 2-core VM), as dear as
// the TCP_NODELAY Go sets on every accepted socket, so the count stays at
// what the first request needs.
const openingWrites = 2

// Opening keeps a connection's peer from waiting on our delayed ACK while the
// connection opens.
//
// Linux delays the ACK of a segment (40 ms at least) when the socket is in
// "ping-pong" mode, which it enters whenever the application writes soon
// after a read: it expects the ACK to ride on the next reply. A client that
// leaves Nagle's algorithm on (Go with SetNoDelay(false), a plain Python
// socket, many embedded clients) holds a small write
// until its previous small write is ACKed. In a TLS 1.3 handshake the server's
// flight is its last handshake write (Go sends its session tickets in that
// flight), so the client's Finished waits on the delayed ACK and the request
// written right after it waits on Nagle: 40 ms on the first request, where
// OpenSSL, which sends its tickets after the Finished, answers in 1.5 ms.
//
// TCP_QUICKACK set after a write leaves ping-pong mode, so the peer's next
// segment is ACKed as it arrives, or at the latest when the application reads
// it (and at once if it had already arrived with the ACK pending). The kernel
// re-enters ping-pong mode at the next write, so it has to be set again after
// each write; Opening does so after the first openingWrites writes only, the
// ones that can hold up the first request: after that a write costs one
// atomic load. The zero value is ready; an Opening belongs to one connection
// and may be shared by the goroutines that write it.
type Opening struct{ writes atomic.Int32 }

// AfterWrite is called after bytes were written to c's peer: during the
// connection's opening it asks for the next ACKs at once. A server that
// answers on the goroutine that reads calls it: the quick ACK is then in
// force before its next read, so the peer's next bytes are ACKed as they
// arrive.
func (o *Opening) AfterWrite(c syscall.Conn) {
	if o.opening() && o.writes.Add(1) <= openingWrites {
		QuickAck(c)
	}
}

// AfterRead is called after bytes were read from c's peer: during the
// connection's opening it sends the ACK of those bytes now if the kernel was
// delaying it. A relay calls it on the goroutine that copies from the client:
// its writes to the client happen on another goroutine, which cannot order
// a quick ACK before this goroutine's reads, so the ACK goes out here, before
// the bytes are passed on.
func (o *Opening) AfterRead(c syscall.Conn) { o.AfterWrite(c) }

// opening reports whether writes may still need a quick ACK after them.
func (o *Opening) opening() bool { return o.writes.Load() < openingWrites }

// QuickAck makes the kernel ACK c's next received segments at once, and sends
// now an ACK it was delaying for bytes already read (TCP_QUICKACK; a no-op
// where the socket has no such option). It lasts until the next write, which re-enters delayed-ACK
// mode: callers that write use Opening.
func QuickAck(c syscall.Conn) {
	raw, err := c.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(setQuickAck)
}

// Write writes to the connection; the first few writes are followed by a quick
// ACK (Opening), so a client with Nagle on never waits on our delayed ACK to
// send its first request.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 && c.opening.opening() {
		if sc, ok := c.Conn.(syscall.Conn); ok {
			c.opening.AfterWrite(sc)
		}
	}
	return n, err
}

// OpeningConn returns c with Opening's quick ACKs after its first writes, for
// a connection that a service handles without the Conn a Set's Accept returns
// (one handed over in process). A *Conn already has them and is returned as
// it is, as is a connection without a socket (net.Pipe).
func OpeningConn(c net.Conn) net.Conn {
	if _, ok := c.(*Conn); ok {
		return c
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	return &openingConn{Conn: c, sc: sc}
}

// openingConn is a connection with Opening's quick ACKs after its first writes.
type openingConn struct {
	net.Conn
	sc      syscall.Conn
	opening Opening
}

func (c *openingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.opening.AfterWrite(c.sc)
	}
	return n, err
}

// CloseWrite half-closes the connection as the one it wraps does (net/http
// uses it to let a client read an error response before the close).
func (c *openingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// SyscallConn is the socket's, for socket options and TCP_INFO.
func (c *openingConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }
