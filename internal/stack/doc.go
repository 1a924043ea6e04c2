// Package stack reads the declarative stack file (YAML) and applies it through the
// services' own operations, so the file obeys every rule the AWS-compatible API
// does. Apply is idempotent: resources are found by name (native names where AWS
// has them, the Name tag elsewhere), created when missing, changed only where they
// differ, so applying the same file twice writes nothing.
//
// Apply order follows the references: zones → certificates (+ their validation
// records) → security groups → VPC endpoints → certificates issued → APIs, stages
// → domain names, mappings → target groups → load balancers → accelerators →
// records. File.Validate runs first, so a file with a dangling reference changes
// nothing.
package stack
