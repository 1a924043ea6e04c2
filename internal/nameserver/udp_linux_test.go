package nameserver

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUDPReceiveBuffer: the listener's socket holds a burst of 1 MiB of
// queries, or as much as net.core.rmem_max allows when the test may not pass
// it. The kernel reports twice what was asked (its bookkeeping's share).
func TestUDPReceiveBuffer(t *testing.T) {
	pc, ln, err := bind("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	defer ln.Close()
	want := 2 * udpSocketBuffer
	if b, err := os.ReadFile("/proc/sys/net/core/rmem_max"); err == nil && os.Geteuid() != 0 {
		if limit, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			want = 2 * min(udpSocketBuffer, limit)
		}
	}
	rc, err := pc.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var serr error
	if err := rc.Control(func(fd uintptr) { got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if got < want {
		t.Errorf("SO_RCVBUF = %d, want at least %d", got, want)
	}
}
