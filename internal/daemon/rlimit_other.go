//go:build !unix

package daemon

// raiseFDLimit has no portable form outside unix; the caps are then sized
// from a conservative guess of the handles the process may hold.
func raiseFDLimit() (before, after, hard uint64, err error) {
	const guess = 8192
	return guess, guess, guess, nil
}

func fdLimit() uint64 { return 8192 }
