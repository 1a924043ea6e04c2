//go:build race

package cli

// raceEnabled: the walkthrough drives a binary built without the race
// detector, so running it again under -race would only repeat it.
const raceEnabled = true
