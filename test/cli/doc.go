// Package cli runs the reference walkthrough with the AWS CLI installed on the
// machine against the gatehouse binary (walkthrough.sh), so `go test ./...`
// covers the CLI path too.
package cli
