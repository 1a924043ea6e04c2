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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/internal/wildcard"
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

// Parse parses and validates a policy document.
func Parse(doc string) (*Policy, error) {
	if n := utf8.RuneCountInString(doc); n > MaxLength {
		return nil, fmt.Errorf("policy is %d characters, more than %d", n, MaxLength)
	}
	var raw struct {
		Version   string
		ID        string `json:"Id"`
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("policy has data after the JSON object")
	}
	switch raw.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return nil, fmt.Errorf("unsupported policy version %q", raw.Version)
	}
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(raw.Statement)
	switch {
	case len(trimmed) == 0 || string(trimmed) == "null":
		return nil, errors.New("policy has no Statement")
	case trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("statement list: %w", err)
		}
	default:
		raws = []json.RawMessage{trimmed}
	}
	if len(raws) == 0 {
		return nil, errors.New("policy has no Statement")
	}
	p := &Policy{Version: raw.Version}
	for i, r := range raws {
		st, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

type rawStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       *stringList
	NotAction    *stringList
	Resource     *stringList
	NotResource  *stringList
	Condition    map[string]map[string]anyList
}

func parseStatement(b []byte) (Statement, error) {
	var r rawStatement
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: r.Sid, Effect: r.Effect}
	if r.Effect != "Allow" && r.Effect != "Deny" {
		return st, fmt.Errorf("effect must be Allow or Deny, not %q", r.Effect)
	}
	var err error
	switch {
	case r.Principal != nil && r.NotPrincipal != nil:
		return st, errors.New("both Principal and NotPrincipal")
	case r.Principal != nil:
		st.Principals, err = parsePrincipal(r.Principal)
	case r.NotPrincipal != nil:
		st.NotPrincipal = true
		st.Principals, err = parsePrincipal(r.NotPrincipal)
	default:
		// A resource policy must name who it applies to.
		return st, errors.New("missing Principal")
	}
	if err != nil {
		return st, err
	}
	switch {
	case r.Action != nil && r.NotAction != nil:
		return st, errors.New("both Action and NotAction")
	case r.Action != nil:
		st.Actions = lower(*r.Action)
	case r.NotAction != nil:
		st.Actions, st.NotAction = lower(*r.NotAction), true
	default:
		return st, errors.New("missing Action")
	}
	switch {
	case r.Resource != nil && r.NotResource != nil:
		return st, errors.New("both Resource and NotResource")
	case r.Resource != nil:
		st.Resources = *r.Resource
	case r.NotResource != nil:
		st.Resources, st.NotResource = *r.NotResource, true
	default:
		return st, errors.New("missing Resource")
	}
	if len(st.Actions) == 0 || len(st.Resources) == 0 {
		return st, errors.New("empty Action or Resource")
	}
	for opName, keys := range r.Condition {
		for key, vals := range keys {
			c, err := parseCondition(opName, key, vals)
			if err != nil {
				return st, err
			}
			st.Conditions = append(st.Conditions, c)
		}
	}
	return st, nil
}

// lower lowercases action names: IAM compares them case-insensitively.
func lower(actions []string) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = strings.ToLower(a)
	}
	return out
}

func parsePrincipal(b json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "*" {
			return nil, fmt.Errorf("principal %q: only \"*\" may be a plain string", s)
		}
		return []string{"*"}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("principal: %w", err)
	}
	var out []string
	for k, v := range m {
		switch k {
		case "AWS":
			for _, p := range v {
				if p == "" {
					return nil, errors.New("empty AWS principal")
				}
				// A bare account id stands for the account's root user.
				if isAccountID(p) {
					p = "arn:aws:iam::" + p + ":root"
				}
				out = append(out, p)
			}
		case "Service", "Federated", "CanonicalUser":
			// Never an execute-api caller here; kept so that it parses but matches nothing.
			for _, p := range v {
				out = append(out, k+":"+p)
			}
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty Principal")
	}
	return out, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var operators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true,
	"StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"IpAddress": true, "NotIpAddress": true,
	"Bool": true, "Null": true,
	"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true,
	"NumericLessThanEquals": true, "NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateNotEquals": true, "DateLessThan": true,
	"DateLessThanEquals": true, "DateGreaterThan": true, "DateGreaterThanEquals": true,
	"ArnEquals": true, "ArnNotEquals": true, "ArnLike": true, "ArnNotLike": true,
}

func parseCondition(opName, key string, vals []string) (Condition, error) {
	c := Condition{Operator: opName, Key: strings.ToLower(key), Values: vals}
	op := opName
	if set, rest, ok := strings.Cut(op, ":"); ok {
		if set != "ForAnyValue" && set != "ForAllValues" {
			return c, fmt.Errorf("unknown condition set operator %q", set)
		}
		c.set, op = set, rest
	}
	if base, ok := strings.CutSuffix(op, "IfExists"); ok && op != "Null" {
		c.ifExists, op = true, base
	}
	if !operators[op] {
		return c, fmt.Errorf("unknown condition operator %q", opName)
	}
	if op == "Null" && c.ifExists {
		return c, errors.New("NullIfExists is not an operator")
	}
	c.op, c.negated = positive(op), negated(op)
	if len(vals) == 0 {
		return c, fmt.Errorf("condition %s %s has no values", opName, key)
	}
	for _, v := range vals {
		switch {
		case c.op == "IpAddress":
			p, err := parseCIDR(v)
			if err != nil {
				return c, fmt.Errorf("condition %s %s: %w", opName, key, err)
			}
			c.cidrs = append(c.cidrs, p)
		case c.op == "Bool" || c.op == "Null":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("condition %s %s: %q is not a boolean", opName, key, v)
			}
			c.bools = append(c.bools, b)
		case strings.HasPrefix(c.op, "Numeric"):
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, fmt.Errorf("condition %s %s: %q is not a number", opName, key, v)
			}
			c.nums = append(c.nums, n)
		case strings.HasPrefix(c.op, "Date"):
			d, ok := parseDate(v)
			if !ok {
				return c, fmt.Errorf("condition %s %s: %q is not a date", opName, key, v)
			}
			c.dates = append(c.dates, d)
		}
	}
	return c, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseDate accepts ISO 8601 forms IAM accepts and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// stringList is a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = stringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*l = ss
	return nil
}

// anyList is a condition value: a string, number or boolean, or a list of them.
type anyList []string

func (l *anyList) UnmarshalJSON(b []byte) error {
	var vs []any
	if err := json.Unmarshal(b, &vs); err != nil {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		vs = []any{v}
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, strconv.FormatBool(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return errors.New("condition values must be strings, numbers or booleans")
		}
	}
	*l = out
	return nil
}

// shortPrefix is the short form of an execute-api resource in a policy.
const shortPrefix = "execute-api:/"

// Bind returns a copy of p whose short-form resources are expanded against
// apiARN (arn:aws:execute-api:region:account:api-id), as API Gateway does when it
// saves a policy. Short-form resources of an unbound policy match nothing, so
// bind once per API before evaluating.
func (p *Policy) Bind(apiARN string) *Policy {
	out := &Policy{Version: p.Version, Statements: make([]Statement, len(p.Statements))}
	for i, st := range p.Statements {
		res := make([]string, len(st.Resources))
		for j, r := range st.Resources {
			res[j] = expand(r, apiARN)
		}
		st.Resources = res
		out.Statements[i] = st
	}
	return out
}

func expand(resource, apiARN string) string {
	if rest, ok := strings.CutPrefix(resource, shortPrefix); ok && apiARN != "" {
		return apiARN + "/" + rest
	}
	return resource
}

// Evaluate decides the request: any matching Deny → ExplicitDeny; else any
// matching Allow → Allow; else ImplicitDeny.
func (p *Policy) Evaluate(req Request) Decision {
	if p == nil {
		return ImplicitDeny
	}
	// Action names are case-insensitive in IAM: Parse lowercased the policy's.
	action := strings.ToLower(req.Action)
	allowed := false
	for i := range p.Statements {
		st := &p.Statements[i]
		if !st.matches(action, &req) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

func (st *Statement) matches(action string, req *Request) bool {
	return st.matchPrincipal(req.Principal) &&
		st.matchAction(action) &&
		st.matchResource(req) &&
		st.matchConditions(req)
}

func (st *Statement) matchPrincipal(caller string) bool {
	in := false
	for _, p := range st.Principals {
		if p == "*" || (caller != "" && wildcard.Match(p, caller)) {
			in = true
			break
		}
	}
	return in != st.NotPrincipal
}

// matchAction matches a lowercased action.
func (st *Statement) matchAction(action string) bool {
	in := false
	for _, a := range st.Actions {
		if wildcard.Match(a, action) {
			in = true
			break
		}
	}
	return in != st.NotAction
}

func (st *Statement) matchResource(req *Request) bool {
	in := false
	for _, r := range st.Resources {
		if wildcard.Match(r, req.Resource) {
			in = true
			break
		}
	}
	return in != st.NotResource
}

func (st *Statement) matchConditions(req *Request) bool {
	for i := range st.Conditions {
		if !st.Conditions[i].holds(req) {
			return false
		}
	}
	return true
}

func lookup(ctx map[string]string, key string) (string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

func negated(op string) bool {
	switch op {
	case "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NotIpAddress",
		"NumericNotEquals", "DateNotEquals", "ArnNotEquals", "ArnNotLike":
		return true
	}
	return false
}

// positive is the operator a negated one negates.
func positive(op string) string {
	if !negated(op) {
		return op
	}
	if op == "NotIpAddress" {
		return "IpAddress"
	}
	return strings.Replace(op, "Not", "", 1)
}

func (c *Condition) holds(req *Request) bool {
	v, present := lookup(req.Context, c.Key)
	if c.op == "Null" {
		return c.bools[0] == !present
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == "ForAllValues":
			return true // vacuously true over an empty set
		case c.set == "ForAnyValue":
			return false
		}
		// IAM: a missing key fails a positive operator and satisfies a negated one.
		return c.negated
	}
	// Context values are single-valued here, so ForAnyValue/ForAllValues reduce
	// to the plain operator over one value.
	return c.matchAny(v) != c.negated
}

// matchAny reports whether the request's value v matches one of the
// condition's values under its positive operator.
func (c *Condition) matchAny(v string) bool {
	switch {
	case c.op == "IpAddress":
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		return slices.ContainsFunc(c.cidrs, func(p netip.Prefix) bool { return p.Contains(a) })
	case c.op == "Bool":
		b, err := strconv.ParseBool(v)
		return err == nil && slices.Contains(c.bools, b)
	case c.nums != nil:
		a, err := strconv.ParseFloat(v, 64)
		return err == nil && slices.ContainsFunc(c.nums, func(n float64) bool { return compare(c.op, cmpFloat(a, n)) })
	case c.dates != nil:
		a, ok := parseDate(v)
		return ok && slices.ContainsFunc(c.dates, func(d time.Time) bool { return compare(c.op, a.Compare(d)) })
	}
	return slices.ContainsFunc(c.Values, func(want string) bool { return matchString(c.op, want, v) })
}

func matchString(op, want, v string) bool {
	switch op {
	case "StringEquals", "ArnEquals":
		return want == v
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(want, v)
	case "StringLike", "ArnLike":
		return wildcard.Match(want, v)
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(op string, c int) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return c <= 0
	case strings.HasSuffix(op, "LessThan"):
		return c < 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return c >= 0
	case strings.HasSuffix(op, "GreaterThan"):
		return c > 0
	}
	return c == 0
}
