//go:build linux

package balancer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestSendAndReadWaitsFirst: a response comes back from a plain HTTP target
// with one read system call, even from a target that takes its time (2 ms
// here): sendAndRead waits for the response and then reads it, where
// net.Conn's Read would read first, find nothing and wait after. The count
// is the thread's (/proc/thread-self/io), with the test's goroutine locked
// to it; the requests go on one pooled connection and then on a new one.
// A target that closed its pooled connection is still found stale and
// replaced: the write that sendAndRead makes draws its reset.
func TestSendAndReadWaitsFirst(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	closeAfter := make(chan struct{}, 1) // the next connection closes after one response
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			once := false
			select {
			case <-closeAfter:
				once = true
			default:
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if !bytes.Equal(line, []byte("\r\n")) {
						continue // the head goes on
					}
					time.Sleep(2 * time.Millisecond)
					if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil || once {
						return
					}
				}
			}()
		}
	}()
	stats, err := os.Open("/proc/thread-self/io")
	if err != nil {
		t.Skip(err)
	}
	defer stats.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 512)
	reads := func() int { // read system calls so far, its own included
		n, _ := stats.ReadAt(buf, 0)
		for _, line := range bytes.Split(buf[:n], []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("syscr: ")); ok {
				r, _ := strconv.Atoi(string(v))
				return r
			}
		}
		t.Fatalf("no syscr in %q", buf[:n])
		return 0
	}
	own := -reads() + reads() // a count's own reads
	pool := newFastPools().get("", l.Addr().String(), false)
	exchange := func() (*fastConn, error) {
		now := time.Now()
		ab := &abort{ctx: context.Background(), once: true}
		c, err := pool.send(ab, l.Addr().String(), now, time.Minute, func(c *fastConn) error {
			err := c.write(now, time.Minute, func(bw *bufio.Writer) error {
				_, err := bw.WriteString("GET / HTTP/1.1\r\nHost: target\r\n\r\n")
				return err
			})
			if err != nil {
				return err
			}
			res, err := c.receive(&http.Request{Method: http.MethodGet})
			if err == nil && (res.StatusCode != http.StatusOK || res.ContentLength != 2) {
				t.Errorf("response %d, %d bytes", res.StatusCode, res.ContentLength)
			}
			return err
		})
		if err == nil {
			_, _ = c.br.Discard(c.br.Buffered())
			ab.disarm(c)
		}
		return c, err
	}
	var conns []*fastConn
	for i := range 4 {
		if i == 3 {
			pool.closeIdle() // the last on a new connection
		}
		before := reads()
		c, err := exchange()
		n := reads() - before - own
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if n != 1 {
			t.Errorf("request %d: %d read system calls, want 1", i, n)
		}
		pool.put(c, time.Now())
		conns = append(conns, c)
	}
	if conns[0] != conns[1] || conns[1] != conns[2] || conns[2] == conns[3] {
		t.Errorf("connections used %p %p %p %p, want the first three the same, then a new one", conns[0], conns[1], conns[2], conns[3])
	}

	// A pooled connection the target closed: the request goes again on a
	// new one.
	closeAfter <- struct{}{}
	pool.closeIdle()
	first, err := exchange()
	if err != nil {
		t.Fatal(err)
	}
	pool.put(first, time.Now())
	time.Sleep(10 * time.Millisecond) // the target's close arrives
	again, err := exchange()
	if err != nil {
		t.Fatalf("after the target closed its connection: %v", err)
	}
	if again == first {
		t.Error("the closed connection was used again")
	}
	if err := first.Conn.SetReadDeadline(time.Time{}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the connection the target closed: %v, want it taken from the pool, found stale and closed", err)
	}
}
