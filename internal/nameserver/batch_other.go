//go:build !linux

package nameserver

import (
	"net"
	"net/netip"
)

// batch is one datagram at a time where recvmmsg is not available; the
// AddrPort calls allocate nothing.
type batch struct {
	conn *net.UDPConn
	buf  [udpBufferSize]byte
	out_ [udpBufferSize]byte
	n    int
	addr netip.AddrPort
	size int
}

func newBatch(conn *net.UDPConn) (*batch, error) { return &batch{conn: conn}, nil }

func (b *batch) read() (int, error) {
	n, addr, err := b.conn.ReadFromUDPAddrPort(b.buf[:])
	if err != nil {
		return 0, err
	}
	b.n, b.addr, b.size = n, addr, 0
	return 1, nil
}

func (b *batch) packet(int) []byte { return b.buf[:b.n] }

func (b *batch) out(int) []byte { return b.out_[:] }

func (b *batch) from(int) net.Addr { return net.UDPAddrFromAddrPort(b.addr) }

func (b *batch) reply(_, size int) { b.size = size }

func (b *batch) flush() error {
	if b.size == 0 {
		return nil
	}
	_, err := b.conn.WriteToUDPAddrPort(b.out_[:b.size], b.addr)
	b.size = 0
	return err
}

// setReceiveBuffer asks for n bytes of receive buffer on c, within what the
// system allows; a refusal is not an error.
func setReceiveBuffer(c *net.UDPConn, n int) { _ = c.SetReadBuffer(n) }
