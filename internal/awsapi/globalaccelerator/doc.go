// Package globalaccelerator maps Global Accelerator's awsJson1.1 wire protocol
// (X-Amz-Target "GlobalAccelerator_V20180706.<Operation>") onto the operations
// of the accelerator service: accelerators and their attributes and tags,
// listeners, endpoint groups and their endpoints.
//
// Each operation decodes its request into a struct named after the service
// model's shape, calls one accelerator.Service operation and shapes the result
// with the model's member names. Validation, error codes and messages live in
// the accelerator package, so the stack file obeys the same rules; this
// package only refuses what gatehouse does not offer on the wire (BYOIP
// addresses, port overrides, cross-account attachments).
package globalaccelerator
