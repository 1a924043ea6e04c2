//go:build race

package e2e

// raceEnabled: tests that drive gatehouse binaries (built without the race
// detector) in other processes skip under -race; the plain run covers them.
const raceEnabled = true
