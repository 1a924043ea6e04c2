package store

import (
	"errors"
	"fmt"
	"net/http"

	"gatehouse/internal/model"
)

// Size limits. The operations bound every field as AWS does, so a resource
// that AWS would accept is far smaller than these; they are the store's own
// backstop against a record or a file growing without end.
const (
	// MaxValueBytes is the largest value one key may hold: 1 MiB, under
	// etcd's default request limit (--max-request-bytes, 1.5 MiB) with room
	// for a Txn's keys and framing. What AWS addresses separately is stored
	// separately (a REST API's resources, methods and integrations; a
	// listener's rules; a group's targets), and a deployment's frozen tree is
	// cut into parts, so no record AWS would accept comes near it.
	MaxValueBytes = 1 << 20
	// DefaultMaxBytes is the bbolt file's default quota: 4 GiB, half of etcd's
	// suggested maximum backend quota (8 GiB) and far beyond what the AWS
	// quotas allow one account's resources to occupy.
	DefaultMaxBytes = 4 << 30
)

// Errors a write can fail with because of a limit; they arrive wrapped in a
// *LimitError.
var (
	ErrTooLarge = errors.New("store: value too large")
	ErrFull     = errors.New("store: quota reached")
)

// LimitError is a write refused by a size limit. It unwraps both to its
// sentinel (ErrTooLarge or ErrFull), for callers that branch, and to a
// *model.Error, so the AWS API answers it as a client error (413 or 400) with
// the message instead of an internal failure (500).
type LimitError struct {
	Err error // ErrTooLarge or ErrFull
	API *model.Error
}

func (e *LimitError) Error() string   { return e.Err.Error() + ": " + e.API.Message }
func (e *LimitError) Unwrap() []error { return []error{e.Err, e.API} }

// checkValue refuses a value over MaxValueBytes before any backend sees it.
func checkValue(key string, value []byte) error {
	if len(value) <= MaxValueBytes {
		return nil
	}
	return &LimitError{Err: ErrTooLarge, API: &model.Error{
		Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
		Message: fmt.Sprintf("The resource %s is %d bytes; one resource may take at most %d bytes.", model.Clip(key), len(value), MaxValueBytes),
	}}
}

// errFull is the write refused because the store file reached its quota. AWS
// reports a quota as a 400 (LimitExceeded, ServiceQuotaExceeded), which the
// SDKs do not retry: no retry helps until an operator deletes resources,
// compacts or raises the quota.
func errFull(max int) error {
	return &LimitError{Err: ErrFull, API: &model.Error{
		Status: http.StatusBadRequest, Code: "ServiceQuotaExceededException",
		Message: fmt.Sprintf("The store is full: its file reached the quota of %d bytes. Delete resources and run 'gatehouse compact', or raise the quota.", max),
	}}
}
