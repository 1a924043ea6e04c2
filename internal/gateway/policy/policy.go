// Package policy parses and evaluates API Gateway resource policies: the IAM
// policy grammar (Version, Statement, Effect, Principal, Action/NotAction,
// Resource/NotResource, Condition) as API Gateway applies it to execute-api:Invoke.
//
// Data path: Parse (JSON → *Policy, validated once, ≤ 8192 chars) → Bind (expand
// the short form "execute-api:/stage/VERB/path" against one API's ARN) →
// Evaluate (per request: explicit Deny wins, otherwise only an explicit Allow
// allows).
//
// A *Policy is immutable after Parse/Bind and safe for concurrent use.
package policy

import (
	"net/netip"
	"time"
)

// MaxLength is API Gateway's limit on a resource policy's length in characters.
const MaxLength = 8192

// Decision is the outcome of evaluating a policy for one request.
type Decision int

// The three outcomes of IAM evaluation.
const (
	ImplicitDeny Decision = iota // no statement allows
	Allow                        // a statement allows and none denies
	ExplicitDeny                 // a statement denies
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// Request is what a statement is matched against.
type Request struct {
	Action    string // "execute-api:Invoke"
	Resource  string // full ARN: arn:aws:execute-api:region:account:api/stage/VERB/path
	Principal string // caller ARN; "" for an anonymous caller (private APIs with auth NONE)
	// Context holds the condition keys (aws:SourceVpce, aws:SourceIp, …); key
	// lookup is case-insensitive, as in IAM.
	Context map[string]string
}

// Policy is a parsed resource policy.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one parsed statement.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principals   []string
	NotPrincipal bool
	Actions      []string // lowercased
	NotAction    bool
	Resources    []string
	NotResource  bool
	Conditions   []Condition
}

// Condition is one operator applied to one key: all conditions of a statement
// must hold (AND), any value of one condition may match (OR).
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringNotLikeIfExists"
	Key      string // lowercased
	Values   []string
	// What Parse worked out once, so that a request only parses its own value.
	op       string // positive base operator, e.g. "StringLike" for StringNotLikeIfExists
	negated  bool   // a Not operator: it holds when no value matches
	ifExists bool
	set      string         // "", "ForAnyValue" or "ForAllValues"
	cidrs    []netip.Prefix // IpAddress: the values
	nums     []float64      // Numeric…: the values
	dates    []time.Time    // Date…: the values
	bools    []bool         // Bool, Null: the values
}
