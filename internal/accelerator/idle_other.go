//go:build !linux

package accelerator

import "net"

// tcpCounters has no portable source: without it idle flows are not timed
// out (gatehouse targets Linux).
func tcpCounters(*net.TCPConn) (received, acked uint64, ok bool) { return 0, 0, false }

// flowReader reads one direction of a flow into pooled buffers with a
// blocking Read, so an idle flow holds its buffers here: only the Linux build
// waits without one (gatehouse targets Linux).
type flowReader struct{ src *net.TCPConn }

func newFlowReader(src *net.TCPConn) (*flowReader, error) { return &flowReader{src}, nil }

// next returns n > 0 bytes in buf, which the caller hands back with putBuf,
// or n == 0 and why the source ended (io.EOF at a FIN).
func (r *flowReader) next() (buf *[]byte, n int, err error) {
	b := getBuf()
	n, err = r.src.Read(*b)
	if n > 0 {
		return b, n, nil
	}
	putBuf(b)
	return nil, 0, err
}
