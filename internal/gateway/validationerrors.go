package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// $context.error.validationErrorString, the detail a BAD_REQUEST_BODY gateway
// response template can show. API Gateway validates with a JSON Schema
// draft 4 validator whose reports read, as observed on real APIs:
//
//	[object has missing required properties (["timestamp","transactionId","type"])]
//	[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]
//	[instance value ("AB") not found in enum (possible values: ["NL","DE"])]
//	[numeric instance is lower than the required minimum (minimum: 315529200000, found: 1)]
//	[instance failed to match exactly one schema (matched 0 out of 3)]
//
// (a Java list of messages: "[", ", " between, "]"; JSON arrays without
// spaces; no instance path), as a public synthetic canary of an API Gateway
// REST API asserts them (flagright's, via the code index). Those five shapes
// are observed; the other keywords' texts are the same validator's
// (java-json-tools json-schema-validator) as its other users quote them, and
// so is the order of several messages (a value's own keyword failures, by
// keyword name, before its members', by instance location): not recorded
// from API Gateway itself (searched: docs, issues, pages; 2026-12).

// errorVar is a $context.error variable of the failure f answers with
// (gateway response templates and access logs); ok is false for another
// name.
func (f *failure) errorVar(name string) (value string, ok bool) {
	switch name {
	case "context.error.message":
		return f.message, true
	case "context.error.messageString":
		b, _ := json.Marshal(f.message)
		return string(b), true
	case "context.error.responseType":
		return f.responseType, true
	case "context.error.validationErrorString":
		// JSON-escaped, unquoted: templates write it inside "…", and an
		// observed answer so written parses as JSON with the detail's
		// quotes (the canary above).
		return jsonEscape(f.validationErrors), true
	}
	return "", false
}

// validationErrorString renders a schema validation error of doc as API
// Gateway's $context.error.validationErrorString.
func validationErrorString(err error, doc any) string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return "[" + err.Error() + "]"
	}
	var leaves []*jsonschema.ValidationError
	collectValidationLeaves(verr, &leaves)
	slices.SortStableFunc(leaves, func(a, b *jsonschema.ValidationError) int {
		if c := compareLocations(a.InstanceLocation, b.InstanceLocation); c != 0 {
			return c
		}
		return strings.Compare(keywordOf(a), keywordOf(b))
	})
	msgs := make([]string, 0, len(leaves))
	for _, l := range leaves {
		msgs = append(msgs, schemaMessage(l, doc))
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// collectValidationLeaves gathers the errors that are messages of their own:
// a group, a $ref or allOf stands for its causes; anyOf/oneOf/not are one
// message each, as the Java validator reports them.
func collectValidationLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.Group, *kind.Schema, *kind.Reference, *kind.AllOf:
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				collectValidationLeaves(c, out)
			}
			return
		}
	}
	*out = append(*out, e)
}

// compareLocations orders a value before its members, members by path.
func compareLocations(a, b []string) int {
	if len(a) != len(b) {
		for i := 0; i < min(len(a), len(b)); i++ {
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
		return len(a) - len(b)
	}
	return slices.Compare(a, b)
}

func keywordOf(e *jsonschema.ValidationError) string {
	if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
		return p[0]
	}
	return ""
}

// schemaMessage is one error's text in the Java validator's words.
func schemaMessage(e *jsonschema.ValidationError, doc any) string {
	inst := instanceAt(doc, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return "object has missing required properties (" + jsonList(sortedCopy(k.Missing)) + ")"
	case *kind.Type:
		return "instance type (" + typeName(k.Got, inst) + ") does not match any allowed primitive type (allowed: " +
			jsonList(allowedTypes(k.Want)) + ")"
	case *kind.Enum:
		return "instance value (" + jsonText(k.Got) + ") not found in enum (possible values: " + jsonText(k.Want) + ")"
	case *kind.Minimum:
		return "numeric instance is lower than the required minimum (minimum: " + ratText(k.Want) + ", found: " + ratText(k.Got) + ")"
	case *kind.Maximum:
		return "numeric instance is greater than the required maximum (maximum: " + ratText(k.Want) + ", found: " + ratText(k.Got) + ")"
	case *kind.ExclusiveMinimum:
		return "numeric instance is not strictly greater than the required minimum " + ratText(k.Want)
	case *kind.ExclusiveMaximum:
		return "numeric instance is not strictly lower than the required maximum " + ratText(k.Want)
	case *kind.MultipleOf:
		return "remainder of division is not zero (" + ratText(k.Got) + " / " + ratText(k.Want) + ")"
	case *kind.MinLength:
		return fmt.Sprintf("string %s is too short (length: %d, required minimum: %d)", jsonText(inst), k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("string %s is too long (length: %d, maximum allowed: %d)", jsonText(inst), k.Got, k.Want)
	case *kind.Pattern:
		return "ECMA 262 regex " + jsonText(k.Want) + " does not match input string " + jsonText(k.Got)
	case *kind.MinItems:
		return fmt.Sprintf("array is too short: must have at least %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("array is too long: must have at most %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.UniqueItems:
		return "array must not contain duplicate elements"
	case *kind.MinProperties:
		return fmt.Sprintf("object has too few properties (found %d but schema requires at least %d)", k.Got, k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("object has too many properties (found %d but schema requires at most %d)", k.Got, k.Want)
	case *kind.AdditionalProperties:
		return "object instance has properties which are not allowed by the schema: " + jsonList(sortedCopy(k.Properties))
	case *kind.Dependency:
		return fmt.Sprintf("property %s of object has missing property dependencies (missing: %s)", jsonText(k.Prop), jsonList(k.Missing))
	case *kind.AnyOf:
		return fmt.Sprintf("instance failed to match at least one required schema among %d", len(e.Causes))
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			return fmt.Sprintf("instance failed to match exactly one schema (matched 0 out of %d)", len(e.Causes))
		}
		return fmt.Sprintf("instance failed to match exactly one schema (matched %d out of %d)", len(k.Subschemas), len(k.Subschemas)+len(e.Causes))
	case *kind.Not:
		return "instance matched a schema which it should not have"
	case *kind.Format:
		return fmt.Sprintf("string %s is invalid against requested format %s", jsonText(k.Got), jsonText(k.Want))
	case *kind.FalseSchema:
		return "instance is not allowed by the schema"
	}
	return e.Error()
}

// instanceAt is the value at a JSON pointer's tokens; nil when absent.
func instanceAt(doc any, loc []string) any {
	v := doc
	for _, tok := range loc {
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// typeName is the Java validator's name of a JSON type: a number without a
// fraction is an integer.
func typeName(got string, inst any) string {
	if got == "number" {
		if n, ok := inst.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
			return "integer"
		}
	}
	return got
}

// allowedTypes lists a schema's types as the Java validator does: "number"
// admits integers and names them, in its sorted order.
func allowedTypes(want []string) []string {
	out := slices.Clone(want)
	if slices.Contains(out, "number") && !slices.Contains(out, "integer") {
		out = append(out, "integer")
	}
	slices.Sort(out)
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// jsonList is a JSON array of strings without spaces (["a","b"]).
func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ratText prints a schema number as written: an integer without a fraction.
func ratText(r *big.Rat) string {
	if r == nil {
		return ""
	}
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(20)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}
