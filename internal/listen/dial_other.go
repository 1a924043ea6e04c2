//go:build !linux

package listen

import "syscall"

// DialControl prepares an outbound socket that binds a chosen source address;
// the socket options it sets on Linux (dial_linux.go) have no portable form.
func DialControl(_, _ string, _ syscall.RawConn) error { return nil }
