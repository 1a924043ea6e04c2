package listen

import "golang.org/x/sys/unix"

// setQuickAck is a RawConn.Control function: a package-level func value, so
// QuickAck allocates no closure. An error (a socket that is not TCP, or closed
// meanwhile) leaves the ACKs as the kernel would send them: nothing to report.
func setQuickAck(fd uintptr) {
	_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
}
