package accelerator

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpCounters are the kernel's counts of the bytes the socket has received
// and of the bytes it sent that the peer acknowledged.
func tcpCounters(c *net.TCPConn) (received, acked uint64, ok bool) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var info *unix.TCPInfo
	cerr := raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if cerr != nil || err != nil {
		return 0, 0, false
	}
	return info.Bytes_received, info.Bytes_acked, true
}

// flowReader reads one direction of a flow. Its next waits until the source
// has bytes (or EOF, or an error) and reads them into a pooled buffer. While
// the source is idle it holds neither a buffer nor a pipe: the buffer is taken
// only for the non-blocking read(2) and given back when that read finds
// nothing, so an idle flow costs its two sockets and a parked goroutine. The
// wait is the runtime's netpoller, which honours the source's read deadline
// and wakes on Close.
type flowReader struct {
	raw syscall.RawConn
	try func(fd uintptr) bool // built once: a closure per read would allocate

	// Results of the last try.
	buf *[]byte
	n   int
	err error
}

func newFlowReader(src *net.TCPConn) (*flowReader, error) {
	raw, err := src.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &flowReader{raw: raw}
	r.try = func(fd uintptr) bool {
		b := getBuf()
		var n int
		var err error
		for {
			n, err = unix.Read(int(fd), *b)
			if err != unix.EINTR {
				break
			}
		}
		if err == unix.EAGAIN {
			// Nothing queued: wait for the netpoller to say readable. It is
			// edge-triggered, so only an empty queue may send us to wait.
			putBuf(b)
			return false
		}
		if n > 0 {
			r.buf, r.n, r.err = b, n, nil
			return true
		}
		putBuf(b)
		if err == nil {
			err = io.EOF // a FIN
		}
		r.buf, r.n, r.err = nil, 0, err
		return true
	}
	return r, nil
}

// next returns n > 0 bytes in buf, which the caller hands back with putBuf,
// or n == 0 and why the source ended (io.EOF at a FIN).
func (r *flowReader) next() (buf *[]byte, n int, err error) {
	if err := r.raw.Read(r.try); err != nil {
		return nil, 0, err
	}
	buf, n, err = r.buf, r.n, r.err
	r.buf = nil
	return buf, n, err
}
