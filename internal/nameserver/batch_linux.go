package nameserver

import (
	"fmt"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batch reads up to batchSize datagrams with one recvmmsg and sends the answers
// with one sendmmsg, to the sender addresses as the kernel gave them, so a
// query costs no address conversion and no allocation. The buffers are the
// batch's own; one goroutine uses a batch at a time.
type batch struct {
	rc    syscall.RawConn
	bufs  [batchSize][udpBufferSize]byte
	outs  [batchSize][udpBufferSize]byte
	names [batchSize]unix.RawSockaddrInet6 // large enough for either family
	iov   [batchSize]unix.Iovec
	hdrs  [batchSize]unix.Mmsghdr
	oiov  [batchSize]unix.Iovec
	ohdrs [batchSize]unix.Mmsghdr

	n, nout, sent int
	errno         syscall.Errno
	// The syscalls as funcs made once: a closure passed to RawConn per call
	// would be allocated per call.
	readFn, writeFn func(fd uintptr) bool
}

func newBatch(conn *net.UDPConn) (*batch, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("dns udp: %w", err)
	}
	b := &batch{rc: rc}
	for i := range b.hdrs {
		b.iov[i].Base = &b.bufs[i][0]
		b.iov[i].SetLen(udpBufferSize)
		b.hdrs[i].Hdr.Iov = &b.iov[i]
		b.hdrs[i].Hdr.SetIovlen(1)
		b.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	}
	b.readFn, b.writeFn = b.recv, b.send
	return b, nil
}

// read waits for datagrams and returns how many it read (at least one).
func (b *batch) read() (int, error) {
	for i := range b.hdrs {
		b.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		b.hdrs[i].Hdr.Flags = 0
		b.hdrs[i].Len = 0
	}
	b.nout = 0
	if err := b.rc.Read(b.readFn); err != nil {
		return 0, err
	}
	if b.errno != 0 {
		return 0, fmt.Errorf("recvmmsg: %w", b.errno)
	}
	return b.n, nil
}

// recv and send use Syscall6, not RawSyscall6 (MSG_DONTWAIT never blocks, so
// the raw call would do), on purpose: it lets sysmon hand the P to another
// thread during a long sendmmsg, so the slow path and the control plane are
// not held up behind a batch of 64 answers. What the raw call saves is not
// measurable where it would matter: loaded to its core's limit by
// bench/dns.sh's dnsload, gatehouse spent 2.8-3.2 µs a query with either.
// (At dnsperf's lighter load it once cut the CPU a query by a third, but that
// client, bound by its own core, got no more answers.) See bench/README.md (DNS).
func (b *batch) recv(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait until readable
		}
		b.n, b.errno = int(r), e
		return true
	}
}

// packet is the i-th datagram read (cut at udpBufferSize, as miekg/dns reads).
func (b *batch) packet(i int) []byte { return b.bufs[i][:b.hdrs[i].Len] }

// out is the buffer for the i-th datagram's answer.
func (b *batch) out(i int) []byte { return b.outs[i][:] }

// from is the i-th datagram's sender, for the slow path.
func (b *batch) from(i int) net.Addr {
	switch b.names[i].Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&b.names[i]))
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: port(sa.Port)}
	case unix.AF_INET6:
		sa := &b.names[i]
		zone := ""
		if sa.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				zone = ifi.Name
			}
		}
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: port(sa.Port), Zone: zone}
	}
	return nil
}

// port converts a sockaddr's port, stored in network byte order.
func port(p uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return int(b[0])<<8 | int(b[1])
}

// reply queues the first size bytes of out(i) as the answer to datagram i.
func (b *batch) reply(i, size int) {
	k := b.nout
	b.oiov[k].Base = &b.outs[i][0]
	b.oiov[k].SetLen(size)
	b.ohdrs[k].Hdr.Iov = &b.oiov[k]
	b.ohdrs[k].Hdr.SetIovlen(1)
	b.ohdrs[k].Hdr.Name = b.hdrs[i].Hdr.Name
	b.ohdrs[k].Hdr.Namelen = b.hdrs[i].Hdr.Namelen
	b.nout++
}

// flush sends the queued answers. A datagram the kernel refuses (a sender
// address it cannot answer, say port 0) is skipped; the rest still go.
func (b *batch) flush() error {
	var first error
	for b.sent = 0; b.sent < b.nout; {
		if err := b.rc.Write(b.writeFn); err != nil {
			return err
		}
		if b.errno != 0 {
			if first == nil {
				first = fmt.Errorf("sendmmsg: %w", b.errno)
			}
			b.sent++ // the failed datagram
		}
	}
	b.nout = 0
	return first
}

func (b *batch) send(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.ohdrs[b.sent])), uintptr(b.nout-b.sent), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait until writable
		}
		b.errno = e
		if e == 0 {
			b.sent += int(r)
		}
		return true
	}
}

// setReceiveBuffer asks for n bytes of receive buffer on c: past
// net.core.rmem_max when the process may (SO_RCVBUFFORCE, with
// CAP_NET_ADMIN, as NSD does), else within it (208 KiB on a stock kernel). A
// smaller buffer only drops a burst sooner: a refusal is not an error.
func setReceiveBuffer(c *net.UDPConn, n int) {
	if rc, err := c.SyscallConn(); err == nil {
		var serr error
		if rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) }) == nil && serr == nil {
			return
		}
	}
	_ = c.SetReadBuffer(n)
}
