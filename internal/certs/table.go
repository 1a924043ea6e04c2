package certs

import (
	"slices"

	"gatehouse/internal/model"
)

// table is the validation loop's view of one snapshot: the certificates waiting
// for validation and what the store says about their validation records. It is
// immutable once compiled.
type table struct {
	// pending holds every PENDING_VALIDATION certificate, by ARN. The pointers are
	// the snapshot's: a certificate that did not change keeps its pointer.
	pending []*model.Certificate
	// records is, per validation record name, the values of the record sets of
	// that name in the snapshot ("CNAME target.") — a fingerprint that changes
	// when someone creates, fixes or deletes a validation record.
	records map[string][]string
}

// differs reports whether t calls for a fresh check compared with old: another
// set of pending certificates, or a change to one of their validation records.
func (t *table) differs(old *table) bool {
	if !slices.Equal(t.pending, old.pending) || len(t.records) != len(old.records) {
		return true
	}
	for name, vals := range t.records {
		o, ok := old.records[name]
		if !ok || !slices.Equal(vals, o) {
			return true
		}
	}
	return false
}
