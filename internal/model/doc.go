// Package model holds the spec and status types of every gatehouse resource, the
// immutable Snapshot that services compile into their tables, resource IDs and ARNs,
// and the operation error type that carries AWS error codes.
//
// Resources are stored as JSON under the key "<kind>/<id>" (see Key). Field names
// follow the AWS API names so that the control-plane codecs map them one to one.
// Spec fields are written by operations; Status fields are written by the service
// that observes them (target health, certificate issuance, accelerator deployment).
//
// model imports nothing internal: every other package may import it.
package model
