//go:build unix

package balancer

import (
	"net"
	"syscall"
)

// rawConn is c's raw connection when c is plain TCP, for sendAndRead.
func rawConn(c net.Conn) syscall.RawConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// readFD is read(2), for sendAndRead.
func readFD(fd uintptr, p []byte) (int, error) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), err
}
