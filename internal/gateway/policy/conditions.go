package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/wildcard"
)

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
