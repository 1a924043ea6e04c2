package accelerator

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// synDrop is a classic BPF socket filter that drops a TCP segment with SYN set
// and ACK clear (a connection's first segment) and passes every other one. A
// TCP socket's filter sees the segment from its TCP header on: byte 13 holds
// the flags (0x02 SYN, 0x10 ACK); returning 0 drops, anything else keeps that
// many bytes.
//
// Why not drop everything (one `ret #0`): the kernel runs a listening socket's
// filter on the last ACK of a handshake too (a half-open connection in
// SYN-RECV is looked up through its listener), and a connection accepted
// after the filter was attached inherits it (sk_clone_lock copies the
// listener's filter into the child). Dropping everything would strand the
// handshakes in flight when the stop begins: the client thinks it is
// connected, its ClientHello is dropped, and the connection dies at the
// withdrawal. Dropping only the first SYN leaves those to finish, and the
// filter a child inherits drops nothing it will ever receive.
var synDrop = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},           // A = TCP flags
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0x12},        // A &= SYN|ACK
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x02, Jf: 1}, // SYN alone?
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},                          // drop
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},                 // keep all of it
}

// dropNewConnections attaches synDrop to the listening socket l: from then on
// a client's SYN is dropped without an answer, so the client retransmits it
// after its initial retransmission timeout (1 s on Linux and most stacks)
// instead of seeing a reset; connections already accepted, or whose handshake
// is under way, are untouched.
func dropNewConnections(l net.Listener) error {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return fmt.Errorf("listener %s: %w", l.Addr(), errors.ErrUnsupported)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("listener %s: %w", l.Addr(), err)
	}
	prog := unix.SockFprog{Len: uint16(len(synDrop)), Filter: &synDrop[0]}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	}); err != nil {
		return fmt.Errorf("listener %s: %w", l.Addr(), err)
	}
	if serr != nil {
		return fmt.Errorf("listener %s: attach socket filter: %w", l.Addr(), serr)
	}
	return nil
}
