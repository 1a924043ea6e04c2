// Package layout enforces the architecture's import rules and conventions
// (DESIGN.md): model imports nothing internal, services never import each other
// or the AWS API layer, only cli imports daemon, and every package says what it
// is for in a doc comment.
package layout
