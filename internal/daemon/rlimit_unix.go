//go:build unix

package daemon

import "syscall"

// raiseFDLimit raises the soft limit on open files to the hard limit: the
// connection caps are sized from it (splitFDs), and a soft limit below the
// hard one only makes them smaller. It returns the soft limit before and
// after, and the hard limit. (Go's runtime raises it at start on Linux too;
// doing it here makes it explicit, logged, and true wherever the daemon runs.)
func raiseFDLimit() (before, after, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, 0, err
	}
	before = lim.Cur
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return before, before, lim.Max, err
		}
	}
	return before, lim.Cur, lim.Max, nil
}

// fdLimit is the soft limit on open files now (the caps are sized from it).
func fdLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024 // the usual default soft limit
	}
	return lim.Cur
}
