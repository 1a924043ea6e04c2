// Package stack reads the declarative stack file (YAML) and applies it through the
// services' own operations, so the file obeys every rule the AWS-compatible API
// does. Apply is idempotent: resources are found by name (native names where AWS
// has them, the Name tag elsewhere), created when missing, changed only where they
// differ, so applying the same file twice writes nothing.
//
// Apply order follows the references: zones → certificates (+ their validation
// records) → security groups → VPC endpoints → certificates issued → APIs (+
// their models and request validators), stages (+ their default throttling) →
// API keys → usage plans (+ their keys) → domain
// names, mappings → target groups → load balancers → accelerators → records.
// File.Validate runs first, so a file with a dangling reference changes nothing.
//
// Every write goes through applier.write, which records it as a Change
// (resource, field, old → new) and logs it. Plan runs the same applier without
// writing (a dry run: placeholders stand in for what would be created), so the
// changes an apply logs and those `gatehouse diff` prints come from one
// mechanism. ApplyFile is serve -f: it keeps the last applied file in the store
// (LastApplied) and applies only the resources whose definition changed since,
// so what was changed through the AWS API survives a restart; what still
// differs is logged as drift.
package stack
