//go:build !linux

package accelerator

import (
	"errors"
	"net"
)

// dropNewConnections needs Linux's socket filters (gatehouse targets Linux):
// elsewhere a graceful stop withdraws the static IPs with the sockets still
// accepting.
func dropNewConnections(net.Listener) error { return errors.ErrUnsupported }
