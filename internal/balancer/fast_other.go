//go:build !unix

package balancer

import (
	"net"
	"syscall"
)

// rawConn is nil here: a request head is flushed as it is written.
func rawConn(net.Conn) syscall.RawConn { return nil }

// readFD is never called here (rawConn is nil).
func readFD(uintptr, []byte) (int, error) { return 0, syscall.EINVAL }
