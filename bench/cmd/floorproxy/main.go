// Command floorproxy is the least a Go HTTP/1.1 keep-alive reverse proxy can
// do per request, for bench/all.sh's l7 group: it tells how much of a Go
// proxy's cost on a machine is Go's (the runtime, its network poller, a
// goroutine per connection) and how much is the proxy's own work.
//
// Each client connection gets one goroutine and one connection to the target
// of its own. A request head (no body: the bench sends GETs) is passed on as
// it came, written by the read that waits for the response, as gatehouse
// does (the balancer's sendAndRead: net.Conn's Read after a Write would read
// first and find nothing, one system call in vain); a response framed by
// Content-Length is passed back as it came.
// Nothing is parsed beyond that, no header is added or removed, nothing is
// counted or logged, and anything else (a body, a chunked response, an error)
// closes the connection. It is not a proxy to use: it is a lower bound.
//
//	floorproxy -listen 127.66.0.5:80 -target 127.66.1.1:8080
package main

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"log"
	"net"
	"strconv"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to serve")
	target := flag.String("target", "127.0.0.1:8080", "address of the HTTP target")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, *target)
	}
}

var (
	headEnd       = []byte("\r\n\r\n")
	contentLength = []byte("\r\nContent-Length: ")
)

// serve relays the requests of client c to a connection of its own to target.
func serve(c net.Conn, target string) {
	defer c.Close()
	t, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer t.Close()
	raw, err := t.(*net.TCPConn).SyscallConn()
	if err != nil {
		return
	}
	tc := &targetConn{Conn: t, raw: raw}
	tc.step = tc.run
	fromClient := bufio.NewReaderSize(c, 8<<10)
	fromTarget := bufio.NewReaderSize(tc, 8<<10)
	for {
		req, ok := next(fromClient, false)
		if !ok {
			return
		}
		tc.unsent = req // valid until fromClient reads again, after the response
		res, ok := next(fromTarget, true)
		if !ok {
			return
		}
		if _, err := c.Write(res); err != nil {
			return
		}
	}
}

// next returns the next message in r's buffer, whole: a head, and with
// withBody the Content-Length bytes after it. It is valid until r's next read.
func next(r *bufio.Reader, withBody bool) ([]byte, bool) {
	for {
		b, _ := r.Peek(r.Buffered())
		if i := bytes.Index(b, headEnd); i >= 0 {
			n := i + len(headEnd)
			if withBody {
				j := bytes.Index(b[:n], contentLength)
				if j < 0 {
					return nil, false
				}
				v := b[j+len(contentLength) : n]
				size, err := strconv.Atoi(string(v[:bytes.IndexByte(v, '\r')]))
				if err != nil || n+size > r.Size() {
					return nil, false
				}
				n += size
			}
			msg, err := r.Peek(n)
			if err != nil {
				return nil, false
			}
			_, _ = r.Discard(n)
			return msg, true
		}
		if r.Buffered() == r.Size() {
			return nil, false // a head over the buffer
		}
		if _, err := r.Peek(r.Buffered() + 1); err != nil {
			return nil, false
		}
	}
}

// targetConn is the connection to the target: its first read after a
// request writes the request from inside a raw read, whose reset of the
// socket's readiness comes before the write, then waits for the response.
type targetConn struct {
	net.Conn
	raw    syscall.RawConn
	step   func(fd uintptr) bool // run, bound once: a closure per read would allocate
	unsent []byte
	p      []byte
	n      int
	err    error
}

func (t *targetConn) Read(p []byte) (int, error) {
	if t.unsent == nil {
		return t.Conn.Read(p)
	}
	t.p, t.n, t.err = p, 0, nil
	if err := t.raw.Read(t.step); err != nil {
		return 0, err
	}
	if t.err != nil {
		return 0, t.err
	}
	if t.n == 0 {
		return 0, io.EOF
	}
	return t.n, nil
}

func (t *targetConn) run(fd uintptr) bool {
	if t.unsent != nil {
		_, t.err = t.Conn.Write(t.unsent)
		t.unsent = nil
		return t.err != nil
	}
	t.n, t.err = syscall.Read(int(fd), t.p)
	for t.err == syscall.EINTR {
		t.n, t.err = syscall.Read(int(fd), t.p)
	}
	return t.err != syscall.EAGAIN
}
